package events

import (
	"sync"
	"testing"
)

func TestSignalCoalescesAndStops(t *testing.T) {
	var s Signal
	s.Notify() // no waiters: nothing to do
	a, stopA := s.Wait()
	b, stopB := s.Wait()
	for range 5 {
		s.Notify()
	}
	for _, c := range []<-chan struct{}{a, b} {
		select {
		case <-c:
		default:
			t.Fatal("a waiter was not woken")
		}
		select {
		case <-c:
			t.Fatal("five notifies woke a waiter twice")
		default:
		}
	}
	stopA()
	s.Notify()
	select {
	case <-a:
		t.Fatal("a stopped waiter was woken")
	default:
	}
	select {
	case <-b:
	default:
		t.Fatal("the other waiter was not woken")
	}
	stopB()
	stopB() // twice is harmless
}

func TestSignalConcurrent(t *testing.T) {
	var s Signal
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); _, stop := s.Wait(); stop() }()
		go func() { defer wg.Done(); s.Notify() }()
	}
	wg.Wait()
}
