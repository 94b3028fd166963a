package events

import "testing"

func TestBusFanOutBoundedAndDrops(t *testing.T) {
	b := NewBus()
	a, c := b.Subscribe(1), b.Subscribe(4)
	b.Publish(StatusChanged, 1)
	b.Publish(StatusChanged, 2) // a is full: dropped for a only
	if e := <-a.C; e.Data != 1 {
		t.Fatalf("a got %v", e.Data)
	}
	if len(c.C) != 2 || b.Dropped() != 1 {
		t.Fatalf("c has %d, dropped %d", len(c.C), b.Dropped())
	}
	a.Close()
	a.Close() // idempotent
	if b.Subscribers() != 1 {
		t.Fatal("close did not unsubscribe")
	}
	for i := 0; i < MaxSubscribers-1; i++ {
		if b.Subscribe(1) == nil {
			t.Fatal("refused below the bound")
		}
	}
	if b.Subscribe(1) != nil {
		t.Fatal("accepted beyond MaxSubscribers")
	}
}
