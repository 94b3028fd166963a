package route

import "sync/atomic"

// Table holds the current snapshot; readers never lock, writers swap.
type Table struct{ p atomic.Pointer[Snapshot] }

// NewTable starts with s (or an empty snapshot).
func NewTable(s *Snapshot) *Table {
	t := &Table{}
	if s == nil {
		s = NewSnapshot(nil, nil)
	}
	t.p.Store(s)
	return t
}

// Load returns the current snapshot.
func (t *Table) Load() *Snapshot { return t.p.Load() }

// Store swaps in a new snapshot.
func (t *Table) Store(s *Snapshot) { t.p.Store(s) }
