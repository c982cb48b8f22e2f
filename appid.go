package burr

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
)

// NewAppID returns a new random application id: a version 4 UUID such as
// "1b4e28ba-2fa1-41d2-883f-0016d3cca427". It is the id New gives an
// application without [WithAppID].
//
// The 122 random bits come from the runtime's ChaCha8 generator, seeded from
// the operating system, which keeps crypto packages (and the memory their
// initialisation costs every process) out of the core.
func NewAppID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return formatUUID(b, 4)
}

// formatUUID sets b's version and RFC 9562 variant bits and formats it as
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
func formatUUID(b [16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
