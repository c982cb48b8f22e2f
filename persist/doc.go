// Package persist is the home of Burr for Go's state persisters: one
// sub-package per backend, each implementing [burr.Persister].
//
//   - memory: an in-memory persister for tests and single-process tools;
//   - sqlite: an embedded SQLite database in Burr's exact table format, so
//     Python Burr and Burr for Go can read each other's files;
//   - postgres: PostgreSQL through pgx, for fleets of servers;
//   - redis: Redis through go-redis, for fleets of servers;
//   - persisttest: the conformance suite every persister runs, ours and
//     third parties'.
//
// Every persister detects a second writer of the same (partition key, app id,
// sequence id): the later Save stores nothing and returns an error wrapping
// [burr.ErrConflict]. Two servers driving the same application therefore
// cannot overwrite each other's steps; the loser reloads
// ([burr.WithInitializeFrom] with [burr.ResumeAtNextAction]) and continues
// from what the winner saved.
//
// # How states are stored
//
// The database backends store a state as JSON ([burr.State.MarshalJSON]) and
// read it back with [burr.State.UnmarshalJSON], so that what Burr wrote
// reads and writes back unchanged:
//
//   - keys keep their order, the internal keys __SEQUENCE_ID and
//     __PRIOR_STEP included, and so do the keys of the objects inside a
//     state (a chat message loaded from Burr's {"role": …, "content": …} is
//     written back in that order; maps made in Go are written with sorted
//     keys);
//   - numbers keep their value and type: an integer beyond int64 (Python's
//     18446744073709551615) or a number beyond float64 (1e999) is kept as a
//     json.Number with its exact text, never rounded or turned into an
//     infinity;
//   - non-finite floats follow one rule everywhere in this module (states,
//     tracking logs, streamed events): NaN, +Inf and -Inf are written as
//     null, and the NaN and Infinity literals Python's json.dumps writes
//     (they are not JSON) are read as null. This differs from Python Burr's
//     SQLite column, which holds those literals;
//   - a stored state of null, or of anything but an object, is a damaged
//     record: Load fails rather than return an empty state.
//
// # Opening
//
// One rule names the constructors of every backend: Open(ctx, path or DSN,
// options…) connects and creates the schema when it is missing
// (sqlite.Open, postgres.Open); New(handle, options…) wraps an existing
// client or pool, or nothing, without I/O (memory.New(), redis.New(client),
// postgres.New(pool)).
//
// # Optional capabilities
//
// Beyond [burr.Persister], a backend may have a schema to create
// ([burr.Initializer]: Initialize and Initialized; [burr.New] refuses a
// persister that reports itself uninitialized) and resources to release
// ([io.Closer]). They are found by type assertion, as in database/sql/driver,
// and every backend checks at compile time the ones it has.
package persist
