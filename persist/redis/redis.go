// Package redis is a [burr.Persister] on Redis (through go-redis), for fleets
// of servers sharing their applications' state. It needs Redis 6.2 or later.
//
// # Key layout
//
// With the default prefix "burr", partition key pk and app id app:
//
//	burr:{pk:<pk>}:apps                   sorted set: app id → time of its last save
//	burr:{pk:<pk>}:app:<app>:seqs         sorted set: the app's sequence ids
//	burr:{pk:<pk>}:app:<app>:seq:<n>      hash: position, status, state, created_at
//	burr:{pk:<pk>}:app:<app>:claim        string: the sequence id the app claimed, expiring (burr.Claimer)
//
// state is the state's JSON (key order kept); created_at is the Redis server's
// clock at the save, in microseconds since the Unix epoch. In pk and app the
// characters '%', ':', '{' and '}' are written %25, %3A, %7B and %7D, so that
// no two records share a key. The part in braces is a Redis Cluster hash tag:
// all the keys of a partition live on one shard.
//
// A save is one Lua script, atomic on the server: it writes the hash only if
// it does not exist (otherwise the second writer gets [burr.ErrConflict] and
// nothing changes), then indexes it in both sorted sets.
//
// It is a [burr.Claimer] ([burr.WithClaims]): an application's claim is one
// key holding the claimed sequence id, set with an expiry (PX) by a Lua script
// that first checks that the step is not saved and that no live claim holds
// it or a later step; the next claim overwrites it, and Redis deletes it when
// it expires, so claims need no cleaning. They expire by the Redis server's
// clock.
//
// All methods are safe for concurrent use.
//
// # Opening
//
// Like every backend of this module, it follows one rule for construction:
// New wraps an existing client without I/O, Open connects from a path or DSN
// and creates the schema. Redis has no schema, and clients are configured in
// many ways (single node, Sentinel, Cluster), so this package only has
// [New]: it does not own the client it is given, and closing the client is
// the caller's job.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/burrgo/burr"
)

// DefaultPrefix starts every key the persister writes.
const DefaultPrefix = "burr"

// Option configures a Persister.
type Option func(*Persister)

// WithPrefix starts every key with prefix instead of DefaultPrefix: to keep
// several stores in one Redis database. It must not contain '{' or '}'.
func WithPrefix(prefix string) Option { return func(p *Persister) { p.prefix = prefix } }

// Persister stores records in Redis.
type Persister struct {
	rdb    goredis.UniversalClient
	prefix string
}

// New returns a Persister using rdb (a *redis.Client, *redis.ClusterClient,
// or any UniversalClient). There is no schema to create.
func New(rdb goredis.UniversalClient, opts ...Option) (*Persister, error) {
	p := &Persister{rdb: rdb, prefix: DefaultPrefix}
	for _, o := range opts {
		o(p)
	}
	if rdb == nil {
		return nil, errors.New("redis: nil client")
	}
	if p.prefix == "" || strings.ContainsAny(p.prefix, "{}") {
		return nil, fmt.Errorf("redis: key prefix %q must be non-empty and free of '{' and '}'", p.prefix)
	}
	return p, nil
}

var (
	_ burr.Persister = (*Persister)(nil)
	_ burr.Claimer   = (*Persister)(nil)
)

var keyEscaper = strings.NewReplacer("%", "%25", ":", "%3A", "{", "%7B", "}", "%7D")

func (p *Persister) partKey(pk string) string {
	return p.prefix + ":{pk:" + keyEscaper.Replace(pk) + "}"
}

func (p *Persister) appKey(pk, app string) string {
	return p.partKey(pk) + ":app:" + keyEscaper.Replace(app)
}

func recordKey(appKey string, seq int) string { return appKey + ":seq:" + strconv.Itoa(seq) }

// saveScript stores a record unless its hash exists.
// KEYS: record hash, the app's sequence ids, the partition's apps.
// ARGV: sequence id, position, status, state, app id.
var saveScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local t = redis.call('TIME')
local micros = string.format('%d', t[1] * 1000000 + t[2])
redis.call('HSET', KEYS[1], 'position', ARGV[2], 'status', ARGV[3], 'state', ARGV[4], 'created_at', micros)
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[3], 'GT', micros, ARGV[5])
return 1
`)

// Save stores r. When a record with the same partition key, app id and
// sequence id exists, it stores nothing and returns an error wrapping
// [burr.ErrConflict]. r.CreatedAt is ignored: the server's clock is used.
func (p *Persister) Save(ctx context.Context, r burr.Record) error {
	state, err := r.State.MarshalJSON()
	if err != nil {
		return fmt.Errorf("redis: encoding the state of app %q sequence id %d: %w", r.AppID, r.SequenceID, err)
	}
	app := p.appKey(r.PartitionKey, r.AppID)
	keys := []string{recordKey(app, r.SequenceID), app + ":seqs", p.partKey(r.PartitionKey) + ":apps"}
	n, err := saveScript.Run(ctx, p.rdb, keys, r.SequenceID, r.Position, string(r.Status), state, r.AppID).Int()
	if err != nil {
		return fmt.Errorf("redis: saving app %q (partition %q) sequence id %d: %w", r.AppID, r.PartitionKey, r.SequenceID, err)
	}
	if n == 0 {
		return fmt.Errorf("redis: app %q (partition %q) sequence id %d: %w", r.AppID, r.PartitionKey, r.SequenceID, burr.ErrConflict)
	}
	return nil
}

// claimScript claims a step unless it is saved or a live claim holds it or a
// later step. It returns {1} when claimed, {0} when the step is saved, {2,
// claimed sequence id, milliseconds left} when a live claim holds it.
// KEYS: the step's record hash, the app's claim. ARGV: sequence id, ttl in ms.
var claimScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local cur = redis.call('GET', KEYS[2])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then
	return {2, tonumber(cur), redis.call('PTTL', KEYS[2])}
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {1}
`)

// Claim reserves step at for ttl (rounded up to a millisecond), for
// [burr.WithClaims]. It fails with an error wrapping [burr.ErrConflict] when
// the step is saved, or when the application's claim of it or of a later
// step has not expired; otherwise the claim replaces the application's
// earlier one. It is one script, atomic on the server.
func (p *Persister) Claim(ctx context.Context, at burr.StepRef, ttl time.Duration) error {
	if at.SequenceID < 0 {
		return fmt.Errorf("redis: claiming app %q (partition %q): sequence id %d is not a step", at.AppID, at.PartitionKey, at.SequenceID)
	}
	if ttl <= 0 {
		return fmt.Errorf("redis: claiming app %q (partition %q) sequence id %d: the ttl %v is not positive", at.AppID, at.PartitionKey, at.SequenceID, ttl)
	}
	app := p.appKey(at.PartitionKey, at.AppID)
	ms := (ttl + time.Millisecond - 1).Milliseconds()
	res, err := claimScript.Run(ctx, p.rdb, []string{recordKey(app, at.SequenceID), app + ":claim"}, at.SequenceID, ms).Int64Slice()
	if err == nil && len(res) == 0 {
		err = errors.New("the claim script returned nothing")
	}
	if err != nil {
		return fmt.Errorf("redis: claiming app %q (partition %q) sequence id %d: %w", at.AppID, at.PartitionKey, at.SequenceID, err)
	}
	switch {
	case res[0] == 1:
		return nil
	case res[0] == 2 && len(res) == 3:
		return fmt.Errorf("redis: app %q (partition %q) sequence id %d: sequence id %d is claimed until %s: %w", at.AppID, at.PartitionKey,
			at.SequenceID, res[1], time.Now().Add(time.Duration(res[2])*time.Millisecond).UTC().Format(time.RFC3339Nano), burr.ErrConflict)
	}
	return fmt.Errorf("redis: app %q (partition %q) sequence id %d is saved: %w", at.AppID, at.PartitionKey, at.SequenceID, burr.ErrConflict)
}

// Load returns the record of step at, or the one with the highest sequence id
// (whatever its status) when at.SequenceID is [burr.Latest]. It returns an
// error wrapping [burr.ErrNotFound] when there is none.
func (p *Persister) Load(ctx context.Context, at burr.StepRef) (burr.Record, error) {
	partitionKey, appID, sequenceID := at.PartitionKey, at.AppID, at.SequenceID
	app := p.appKey(partitionKey, appID)
	notFound := func() error {
		return fmt.Errorf("redis: app %q (partition %q) sequence id %s: %w", appID, partitionKey, seqText(sequenceID), burr.ErrNotFound)
	}
	failed := func(err error) error {
		return fmt.Errorf("redis: loading app %q (partition %q) sequence id %s: %w", appID, partitionKey, seqText(sequenceID), err)
	}
	seq := sequenceID
	if seq == burr.Latest {
		top, err := p.rdb.ZRevRange(ctx, app+":seqs", 0, 0).Result()
		if err != nil {
			return burr.Record{}, failed(err)
		}
		if len(top) == 0 {
			return burr.Record{}, notFound()
		}
		if seq, err = strconv.Atoi(top[0]); err != nil {
			return burr.Record{}, failed(fmt.Errorf("sequence id index holds %q: %w", top[0], err))
		}
	}
	h, err := p.rdb.HGetAll(ctx, recordKey(app, seq)).Result()
	if err != nil {
		return burr.Record{}, failed(err)
	}
	if len(h) == 0 {
		return burr.Record{}, notFound()
	}
	r := burr.Record{StepRef: at.At(seq), Position: h["position"], Status: burr.Status(h["status"])}
	if err := r.State.UnmarshalJSON([]byte(h["state"])); err != nil {
		return burr.Record{}, fmt.Errorf("redis: app %q (partition %q) sequence id %d: stored state is corrupt: %w", appID, partitionKey, seq, err)
	}
	micros, err := strconv.ParseInt(h["created_at"], 10, 64)
	if err != nil {
		return burr.Record{}, fmt.Errorf("redis: app %q (partition %q) sequence id %d: created_at %q is not a time: %w", appID, partitionKey, seq, h["created_at"], err)
	}
	r.CreatedAt = time.UnixMicro(micros).UTC()
	return r, nil
}

// ListAppIDs returns the app ids stored under partitionKey, the most recently
// saved first.
func (p *Persister) ListAppIDs(ctx context.Context, partitionKey string) ([]string, error) {
	ids, err := p.rdb.ZRevRange(ctx, p.partKey(partitionKey)+":apps", 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: listing apps of partition %q: %w", partitionKey, err)
	}
	return ids, nil
}

func seqText(seq int) string {
	if seq == burr.Latest {
		return "latest"
	}
	return strconv.Itoa(seq)
}
