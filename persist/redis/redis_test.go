package redis_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr/internal/testenv"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/persisttest"
	"github.com/burrgo/burr/persist/redis"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// addr returns the test server's address, skipping the test when none is
// configured (failing it on CI, where the server must be there).
func addr(t *testing.T) string {
	t.Helper()
	return testenv.Server(t, testenv.RedisAddr, "Redis")
}

func client(t *testing.T) *goredis.Client {
	t.Helper()
	rdb := goredis.NewClient(&goredis.Options{Addr: addr(t)})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

var prefixSeq atomic.Int64

// newPrefix returns a fresh key prefix whose keys are deleted when the test
// ends.
func newPrefix(t *testing.T) string {
	t.Helper()
	a := addr(t)
	prefix := fmt.Sprintf("burrtest%d_%d", time.Now().UnixNano(), prefixSeq.Add(1))
	t.Cleanup(func() {
		rdb := goredis.NewClient(&goredis.Options{Addr: a})
		defer rdb.Close()
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Error(err)
		}
	})
	return prefix
}

func open(t *testing.T, rdb goredis.UniversalClient, prefix string) *redis.Persister {
	t.Helper()
	p, err := redis.New(rdb, redis.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformance(t *testing.T) {
	addr(t)
	persisttest.Run(t, func(t *testing.T) burr.Persister { return open(t, client(t), newPrefix(t)) })
}

// Two clients on one store are two servers of a fleet.
func TestFleet(t *testing.T) {
	prefix := newPrefix(t)
	persisttest.RunShared(t, open(t, client(t), prefix), open(t, client(t), prefix))
	persisttest.RunSharedClaims(t, open(t, client(t), prefix), open(t, client(t), prefix))
}

func TestKeyLayout(t *testing.T) {
	rdb := client(t)
	prefix := newPrefix(t)
	p := open(t, rdb, prefix)
	ctx := t.Context()
	// Characters that separate key parts cannot make two records collide.
	recs := []burr.Record{
		{StepRef: burr.AppRef{AppID: "c", PartitionKey: "a:b"}.At(0)},
		{StepRef: burr.AppRef{AppID: "b:c", PartitionKey: "a"}.At(0)},
		{StepRef: burr.AppRef{AppID: "{y", PartitionKey: "x}"}.At(0)},
		{StepRef: burr.AppRef{AppID: "%3A", PartitionKey: ""}.At(0)},
		{StepRef: burr.AppRef{AppID: ":", PartitionKey: ""}.At(0)},
	}
	for _, r := range recs {
		r.Status = burr.StatusCompleted
		r.State = burr.State{}.Set("who", r.PartitionKey+"|"+r.AppID)
		if err := p.Save(ctx, r); err != nil {
			t.Fatalf("Save(%q, %q): %v", r.PartitionKey, r.AppID, err)
		}
	}
	for _, r := range recs {
		got, err := p.Load(ctx, burr.AppRef{AppID: r.AppID, PartitionKey: r.PartitionKey}.At(0))
		if err != nil {
			t.Fatal(err)
		}
		if got.State.Value("who") != r.PartitionKey+"|"+r.AppID {
			t.Errorf("Load(%q, %q) = %v", r.PartitionKey, r.AppID, got.State)
		}
	}
	// The documented layout.
	want := map[string]string{
		prefix + ":{pk:a%3Ab}:apps":          "zset",
		prefix + ":{pk:a%3Ab}:app:c:seqs":    "zset",
		prefix + ":{pk:a%3Ab}:app:c:seq:0":   "hash",
		prefix + ":{pk:}:app:%253A:seq:0":    "hash",
		prefix + ":{pk:x%7D}:app:%7By:seq:0": "hash",
	}
	for key, typ := range want {
		if got := rdb.Type(ctx, key).Val(); got != typ {
			t.Errorf("TYPE %s = %q, want %q", key, got, typ)
		}
	}
	// A claim is a string holding the sequence id, expiring.
	if err := p.Claim(ctx, burr.AppRef{AppID: "c", PartitionKey: "a:b"}.At(1), time.Hour); err != nil {
		t.Fatal(err)
	}
	claim := prefix + ":{pk:a%3Ab}:app:c:claim"
	if v, ttl := rdb.Get(ctx, claim).Val(), rdb.PTTL(ctx, claim).Val(); v != "1" || ttl <= 0 || ttl > time.Hour {
		t.Errorf("claim key %s = %q with ttl %v, want \"1\" expiring within the hour", claim, v, ttl)
	}
	h := rdb.HGetAll(ctx, prefix+":{pk:a%3Ab}:app:c:seq:0").Val()
	if h["state"] != `{"who":"a:b|c"}` || h["status"] != "completed" || h["created_at"] == "" {
		t.Errorf("record hash = %v", h)
	}
}

func TestBadOptions(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for _, prefix := range []string{"", "a{b", "}"} {
		if _, err := redis.New(rdb, redis.WithPrefix(prefix)); err == nil {
			t.Errorf("prefix %q accepted", prefix)
		}
	}
	if _, err := redis.New(nil); err == nil {
		t.Error("nil client accepted")
	}
}

// The server going away mid-run gives errors, never a panic, and the
// application does not advance past what was saved.
func TestServerGoesAway(t *testing.T) {
	t.Run("client closed", func(t *testing.T) {
		rdb := goredis.NewClient(&goredis.Options{Addr: addr(t)})
		persisttest.RunGoneAway(t, open(t, rdb, newPrefix(t)), func() { rdb.Close() })
	})
	t.Run("connections killed", func(t *testing.T) {
		rdb := goredis.NewClient(&goredis.Options{Addr: addr(t), ClientName: "burr-victim", MaxRetries: -1})
		t.Cleanup(func() { rdb.Close() })
		admin := client(t)
		persisttest.RunConnectionsDropped(t, open(t, rdb, newPrefix(t)), func() {
			if err := admin.Do(t.Context(), "CLIENT", "KILL", "USER", "default", "SKIPME", "yes").Err(); err != nil &&
				!strings.Contains(err.Error(), "No such user") {
				t.Logf("CLIENT KILL: %v", err)
			}
		})
	})
}

// Prefixes are not interpreted (keys are plain bytes to Redis): the only
// way to make two stores share keys would be a prefix that reaches into the
// partition part, which starts at the first '{' and is refused in prefixes.
// Prefixes that look like each other stay apart.
func TestPrefixesStayApart(t *testing.T) {
	rdb := client(t)
	base := newPrefix(t)
	ctx := t.Context()
	prefixes := []string{base, base + ":", base + ":pk:", "select " + base}
	for i, prefix := range prefixes {
		p := open(t, rdb, prefix)
		r := burr.Record{StepRef: burr.AppRef{AppID: "a"}.At(0), Position: "x", State: burr.State{}.Set("store", i), Status: burr.StatusCompleted}
		if err := p.Save(ctx, r); err != nil {
			t.Fatalf("prefix %q: %v", prefix, err)
		}
	}
	for i, prefix := range prefixes {
		got, err := open(t, rdb, prefix).Load(ctx, burr.AppRef{AppID: "a"}.At(0))
		if err != nil || got.State.Value("store") != i {
			t.Errorf("prefix %q loads %v, %v; want its own record", prefix, got.State, err)
		}
	}
	t.Cleanup(func() {
		for _, prefix := range prefixes[1:] {
			keys, _ := rdb.Keys(context.Background(), prefix+"*").Result()
			if len(keys) > 0 {
				rdb.Del(context.Background(), keys...)
			}
		}
	})
}

// A stored state of null is a damaged record, not an empty state.
func TestNullState(t *testing.T) {
	rdb := client(t)
	prefix := newPrefix(t)
	p := open(t, rdb, prefix)
	ctx := t.Context()
	r := burr.Record{StepRef: burr.AppRef{AppID: "chat"}.At(4), Position: "respond", State: burr.State{}.Set("n", 1), Status: burr.StatusCompleted}
	if err := p.Save(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(ctx, prefix+":{pk:}:app:chat:seq:4", "state", "null").Err(); err != nil {
		t.Fatal(err)
	}
	_, err := p.Load(ctx, burr.AppRef{AppID: "chat"}.At(burr.Latest))
	if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "null") {
		t.Fatalf("loading a null state: %v", err)
	}
}
