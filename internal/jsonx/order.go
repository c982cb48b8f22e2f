package jsonx

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"
)

// Go maps have no key order; Python's dicts keep insertion order, and Burr
// writes them in it. A state loaded from Burr's JSON and saved again must not
// reorder the dicts it holds (a chat history of {"role", "content"} messages
// written back with sorted keys differs from what Burr wrote). So the decoder
// remembers, for each object it decodes, the order of its keys, and the
// encoder writes a map it finds in this table in that order.
//
// The table is keyed by the map's identity (the address of its runtime
// header) and can never give a map another map's order: each entry holds a
// weak pointer to its map, checked on every lookup (a weak pointer is cleared
// before its object's memory can be reused, so an entry left by a dead map is
// never taken for a new map at the same address), and a cleanup removes the
// entry once the map is unreachable, so the table does not outlive the states
// it serves. The maps themselves stay plain map[string]any.
//
// The order is a hint that cannot make the output wrong: keys deleted from
// the map since it was decoded are skipped, and keys added since are written
// after the known ones, in sorted order.

type keyOrder struct {
	m    weak.Pointer[byte] // the map's header, while the map lives
	keys []string
}

var (
	orders     sync.Map     // uintptr (the map's header) → *keyOrder
	orderCount atomic.Int64 // entries registered and not yet cleaned up
)

// mapHeader returns the address of m's runtime header, which identifies the
// map for its whole life (Go never moves heap objects, and a map's header
// stays in place when the map grows).
func mapHeader(m map[string]any) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&m))
}

// rememberOrder records keys as m's key order; the table keeps keys. m must
// be a heap map that the caller made (the decoder's); maps of one key or none
// need no order.
func rememberOrder(m map[string]any, keys []string) {
	if len(keys) < 2 {
		return
	}
	p := (*byte)(mapHeader(m))
	o := &keyOrder{m: weak.Make(p), keys: keys}
	addr := uintptr(unsafe.Pointer(p))
	orders.Store(addr, o)
	orderCount.Add(1)
	runtime.AddCleanup(p, forgetOrder, orderEntry{addr, o})
}

type orderEntry struct {
	addr uintptr
	o    *keyOrder
}

// forgetOrder removes the entry of a map that is gone, unless a newer map at
// the same address has replaced it already.
func forgetOrder(e orderEntry) {
	orders.CompareAndDelete(e.addr, e.o)
	orderCount.Add(-1)
}

// KeyOrder returns the key order m had in the JSON document it was decoded
// from, or nil when m was not decoded by this package (or has fewer than two
// keys). The slice must not be modified.
func KeyOrder(m map[string]any) []string {
	if orderCount.Load() == 0 || len(m) < 2 {
		return nil
	}
	p := mapHeader(m)
	v, ok := orders.Load(uintptr(p))
	if !ok {
		return nil
	}
	o := v.(*keyOrder)
	if unsafe.Pointer(o.m.Value()) != p {
		return nil // an entry of a dead map at the same address, not yet cleaned up
	}
	return o.keys
}

// SortedKeys returns the keys of m in the order the encoder writes them: the
// order m was decoded in (KeyOrder), then any other keys sorted; or all keys
// sorted for a map that was not decoded.
func SortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	known := KeyOrder(m)
	for _, k := range known {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == len(m) {
		return keys
	}
	n := len(keys)
	var set map[string]struct{}
	if len(known) > 16 {
		set = make(map[string]struct{}, len(known))
		for _, k := range known {
			set[k] = struct{}{}
		}
	}
	for k := range m {
		if set != nil {
			if _, ok := set[k]; ok {
				continue
			}
		} else if slices.Contains(known, k) {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys[n:])
	return keys
}
