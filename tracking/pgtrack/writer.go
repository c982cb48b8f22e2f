package pgtrack

import (
	"context"
	"fmt"
	"time"
)

// statementTimeout bounds one batch's statement, so that a connection that
// hangs (a server gone without closing it) is given up and retried.
const statementTimeout = 30 * time.Second

// write is the writer goroutine: it takes the queued lines in batches and
// writes each batch with one statement, until Close seals the queue; it then
// writes what is left, for at most the close timeout.
func (t *Tracker) write() {
	defer close(t.done)
	batch := make([]row, 0, t.batch)
	for {
		select {
		case r := <-t.queue:
			batch = append(batch, r)
		case <-t.sealed:
			t.drain(batch[:0])
			return
		}
	gather:
		for len(batch) < t.batch {
			select {
			case r := <-t.queue:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		t.writeBatch(batch, time.Time{})
		clear(batch)
		batch = batch[:0]
	}
}

// drain writes the lines left in the queue after Close, until the close
// timeout; what is left then is dropped and counted.
func (t *Tracker) drain(batch []row) {
	deadline := time.Now().Add(t.closeTimeout)
	for {
	gather:
		for len(batch) < t.batch {
			select {
			case r := <-t.queue:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		if len(batch) == 0 {
			return
		}
		t.writeBatch(batch, deadline)
		clear(batch)
		batch = batch[:0]
	}
}

// writeBatch writes the lines of batch and then releases the Flush calls
// waiting on its markers. A broken connection is retried, with a growing
// pause, until it works or, when deadline is set (closing), until the
// deadline; a batch the server refuses is written line by line.
func (t *Tracker) writeBatch(batch []row, deadline time.Time) {
	defer func() {
		for _, r := range batch {
			if r.flush != nil {
				close(r.flush)
			}
		}
	}()
	var apps, pks, kinds []string
	var seqs []int32
	var data [][]byte
	for _, r := range batch {
		if r.flush == nil {
			apps, pks, kinds, data = append(apps, r.appID), append(pks, r.partitionKey), append(kinds, r.kind), append(data, r.data)
			seqs = append(seqs, int32(r.seq))
		}
	}
	if len(data) == 0 {
		return
	}
	pause := 50 * time.Millisecond
	failed := false
	for {
		err := t.exec(apps, pks, kinds, seqs, data, deadline)
		if err == nil {
			if failed {
				t.logger.Info("burr tracking: writing to the database again", "project", t.project, "table", t.table)
			}
			return
		}
		if isServerError(err) {
			t.oneByOne(apps, pks, kinds, seqs, data, deadline)
			return
		}
		failed = true
		t.report("cannot write to the database, retrying",
			fmt.Errorf("pgtrack: writing %d lines to table %q: %w", len(data), t.table, err))
		if deadline.IsZero() {
			// Wait before retrying, unless Close comes: then retry at once,
			// within its deadline.
			select {
			case <-time.After(pause):
			case <-t.sealed:
				deadline = time.Now().Add(t.closeTimeout)
			}
		} else {
			if time.Now().Add(pause).After(deadline) {
				t.dropped.Add(int64(len(data)))
				t.report("lines dropped at Close", fmt.Errorf("pgtrack: Close timed out: %d lines not written to table %q: %w", len(data), t.table, err))
				return
			}
			time.Sleep(pause)
		}
		pause = min(2*pause, t.retryMax)
	}
}

// oneByOne writes the lines one statement each, after the server refused
// their batch, dropping those it refuses.
func (t *Tracker) oneByOne(apps, pks, kinds []string, seqs []int32, data [][]byte, deadline time.Time) {
	for i := range data {
		err := t.exec(apps[i:i+1], pks[i:i+1], kinds[i:i+1], seqs[i:i+1], data[i:i+1], deadline)
		if err != nil {
			t.dropped.Add(1)
			t.report("the database refused a line", fmt.Errorf("pgtrack: a %s line of app %q (table %q) was refused: %w", kinds[i], apps[i], t.table, err))
		}
	}
}

func (t *Tracker) exec(apps, pks, kinds []string, seqs []int32, data [][]byte, deadline time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), statementTimeout)
	if !deadline.IsZero() {
		ctx, cancel = context.WithDeadline(context.Background(), deadline)
	}
	defer cancel()
	_, err := t.pool.Exec(ctx, t.insert, t.project, apps, pks, kinds, seqs, data)
	return err
}
