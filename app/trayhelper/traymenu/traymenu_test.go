package traymenu

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"testing"
)

func TestIconsForEveryState(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range []Icon{IconIdle, IconOK, IconDegraded, IconDown} {
		b := PNG(i)
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", i, err)
		}
		if r := img.Bounds(); r.Dx() != 64 || r.Dy() != 64 {
			t.Fatalf("%s: %v", i, r)
		}
		if seen[string(b)] {
			t.Fatalf("%s looks like another state", i)
		}
		seen[string(b)] = true
		ico := ICO(i)
		var hdr struct {
			Reserved, Type, Count uint16
			W, H, Colors, Res     uint8
			Planes, BPP           uint16
			Size, Offset          uint32
		}
		if err := binary.Read(bytes.NewReader(ico), binary.LittleEndian, &hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Type != 1 || hdr.Count != 1 || hdr.W != 64 || int(hdr.Size) != len(b) || hdr.Offset != 22 || !bytes.Equal(ico[22:], b) {
			t.Fatalf("%s: bad .ico header %+v", i, hdr)
		}
	}
	if !bytes.Equal(PNG("nonsense"), PNG(IconIdle)) {
		t.Fatal("an unknown state should fall back to the plain icon")
	}
}

func TestSameLayout(t *testing.T) {
	a := Model{Items: []Item{{ID: "a"}, {ID: "b", Parent: "a"}, {ID: "sep1", Separator: true}, {ID: "c", Checkable: true}}}
	b := Model{Icon: IconDown, Items: []Item{{ID: "a", Title: "x"}, {ID: "b", Parent: "a", Visible: true}, {ID: "sep1", Separator: true}, {ID: "c", Checkable: true, Checked: true}}}
	if !SameLayout(a, b) {
		t.Fatal("titles and states are not layout")
	}
	b.Items[3].Checkable = false
	if SameLayout(a, b) {
		t.Fatal("checkability is layout")
	}
	if SameLayout(a, Model{Items: a.Items[:3]}) {
		t.Fatal("item count is layout")
	}
	if it, ok := b.Item("b"); !ok || it.Parent != "a" {
		t.Fatal("Item lookup")
	}
}
