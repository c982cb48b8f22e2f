package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/burrgo/burr/internal/testenv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/memory"
	"github.com/burrgo/burr/persist/postgres"
	"github.com/burrgo/burr/persist/redis"
	"github.com/burrgo/burr/persist/sqlite"
)

// BenchmarkW5 is W1 with N = 2,000 saving every step to a SQLite file that is
// synced to disk on every step (SyncFull), a new file per repetition.
// Opening the database and creating the table are not timed.
func BenchmarkW5(b *testing.B) {
	benchW5(b, func(b *testing.B) string { return filepath.Join(b.TempDir(), "w5.db") })
}

// BenchmarkW5m is W5 on an in-memory SQLite database: the cost of encoding
// and SQL without the disk.
func BenchmarkW5m(b *testing.B) {
	benchW5(b, func(*testing.B) string { return ":memory:" })
}

// BenchmarkW5mClaims is W5m with burr.WithClaims: every step claims its
// sequence id before it runs, one more write per step.
func BenchmarkW5mClaims(b *testing.B) {
	benchW5(b, func(*testing.B) string { return ":memory:" }, burr.WithClaims(time.Minute))
}

// BenchmarkW5Claims is W5 with burr.WithClaims.
func BenchmarkW5Claims(b *testing.B) {
	benchW5(b, func(b *testing.B) string { return filepath.Join(b.TempDir(), "w5.db") }, burr.WithClaims(time.Minute))
}

func benchW5(b *testing.B, path func(*testing.B) string, extra ...burr.Option) {
	benchW1(b, 2_000, func(b *testing.B, _ int) ([]burr.Option, func()) {
		p, err := sqlite.Open(context.Background(), path(b))
		if err != nil {
			b.Fatal(err)
		}
		return append([]burr.Option{burr.WithPersister(p)}, extra...), func() {
			if err := p.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// backends opens each persister the save and load benchmarks measure; a
// backend whose server is not configured is skipped.
func backends(b *testing.B) []struct {
	name string
	open func(b *testing.B) burr.Persister
} {
	return []struct {
		name string
		open func(b *testing.B) burr.Persister
	}{
		{"memory", func(*testing.B) burr.Persister { return memory.New() }},
		{"sqlite", func(b *testing.B) burr.Persister {
			p, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "save.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { p.Close() })
			return p
		}},
		{"sqlite-memory", func(b *testing.B) burr.Persister {
			p, err := sqlite.Open(context.Background(), ":memory:")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { p.Close() })
			return p
		}},
		{"postgres", func(b *testing.B) burr.Persister {
			dsn := testenv.Server(b, testenv.PostgresDSN, "PostgreSQL")
			table := fmt.Sprintf("bench_%d", time.Now().UnixNano())
			p, err := postgres.Open(context.Background(), dsn, postgres.WithTable(table))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				p.Pool().Exec(context.Background(), "DROP TABLE "+table+", "+table+"_claims")
				p.Close()
			})
			return p
		}},
		{"redis", func(b *testing.B) burr.Persister {
			addr := testenv.Server(b, testenv.RedisAddr, "Redis")
			rdb := goredis.NewClient(&goredis.Options{Addr: addr})
			prefix := fmt.Sprintf("burrbench%d", time.Now().UnixNano())
			b.Cleanup(func() {
				ctx := context.Background()
				iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
				for iter.Next(ctx) {
					rdb.Del(ctx, iter.Val())
				}
				rdb.Close()
			})
			p, err := redis.New(rdb, redis.WithPrefix(prefix))
			if err != nil {
				b.Fatal(err)
			}
			return p
		}},
	}
}

// benchRecord is a W1 step's record.
func benchRecord(seq int) burr.Record {
	return burr.Record{StepRef: burr.AppRef{AppID: "bench"}.At(seq), Position: "increment", Status: burr.StatusCompleted,
		State: burr.State{}.Set("counter", seq+1).Set(burr.SequenceIDKey, seq).Set(burr.PriorStepKey, "increment")}
}

// BenchmarkClaim is the time of one Claim on each backend: an application
// claiming its steps one after the other, each claim replacing the last.
func BenchmarkClaim(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			p := be.open(b)
			c, ok := p.(burr.Claimer)
			if !ok {
				b.Fatalf("%T is not a burr.Claimer", p)
			}
			ctx := context.Background()
			app := burr.AppRef{AppID: "bench"}
			seq := 0
			for b.Loop() {
				if err := c.Claim(ctx, app.At(seq), time.Minute); err != nil {
					b.Fatal(err)
				}
				seq++
			}
		})
	}
}

// BenchmarkSave is the time of one Save of a W1 record on each backend.
func BenchmarkSave(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			p := be.open(b)
			ctx := context.Background()
			seq := 0
			for b.Loop() {
				if err := p.Save(ctx, benchRecord(seq)); err != nil {
					b.Fatal(err)
				}
				seq++
			}
		})
	}
}

// BenchmarkLoad is the time of one Load of the latest record of an app with
// 1,000 records on each backend.
func BenchmarkLoad(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			p := be.open(b)
			ctx := context.Background()
			for seq := range 1000 {
				if err := p.Save(ctx, benchRecord(seq)); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if _, err := p.Load(ctx, burr.AppRef{AppID: "bench"}.At(burr.Latest)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
