package clitools

import (
	"fmt"
	"strings"
)

// unifiedDiff renders a unified diff (3 lines of context) between two texts.
// Files here are small and our edits local, so the common head and tail are
// trimmed and an LCS runs on what is left.
func unifiedDiff(path, before, after string, created bool) string {
	if before == after {
		return ""
	}
	a, b := splitLines(before), splitLines(after)
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
		ai   int // line index in a (for ' ' and '-') or insertion point
		bi   int
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{' ', a[i], i, i})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma)*len(mb) > 4_000_000 { // too big for LCS: replace the block
		for i, l := range ma {
			ops = append(ops, op{'-', l, pre + i, pre})
		}
		for j, l := range mb {
			ops = append(ops, op{'+', l, pre + len(ma), pre + j})
		}
	} else {
		// LCS table over the middle
		n, m := len(ma), len(mb)
		t := make([][]int32, n+1)
		for i := range t {
			t[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if ma[i] == mb[j] {
					t[i][j] = t[i+1][j+1] + 1
				} else if t[i+1][j] >= t[i][j+1] {
					t[i][j] = t[i+1][j]
				} else {
					t[i][j] = t[i][j+1]
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && ma[i] == mb[j]:
				ops = append(ops, op{' ', ma[i], pre + i, pre + j})
				i, j = i+1, j+1
			case i < n && (j >= m || t[i+1][j] >= t[i][j+1]):
				ops = append(ops, op{'-', ma[i], pre + i, pre + j})
				i++
			default:
				ops = append(ops, op{'+', mb[j], pre + i, pre + j})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ai, bi := len(a)-suf+k, len(b)-suf+k
		ops = append(ops, op{' ', a[ai], ai, bi})
	}

	var out strings.Builder
	from := "a/" + strings.TrimPrefix(path, "/")
	if created {
		from = "/dev/null"
	}
	fmt.Fprintf(&out, "--- %s\n+++ b/%s\n", from, strings.TrimPrefix(path, "/"))
	const ctx = 3
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := k - ctx
		if start < 0 {
			start = 0
		}
		for start < k && ops[start].kind != ' ' {
			start++
		}
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end += min(ctx, run-end)
				break
			}
			end = run
		}
		var aStart, bStart, aLen, bLen int
		aStart, bStart = -1, -1
		for _, o := range ops[start:end] {
			if aStart < 0 && o.kind != '+' {
				aStart = o.ai
			}
			if bStart < 0 && o.kind != '-' {
				bStart = o.bi
			}
			if o.kind != '+' {
				aLen++
			}
			if o.kind != '-' {
				bLen++
			}
		}
		if aStart < 0 {
			aStart = ops[start].ai
		}
		if bStart < 0 {
			bStart = ops[start].bi
		}
		aNum, bNum := aStart+1, bStart+1
		if aLen == 0 {
			aNum = aStart
		}
		if bLen == 0 {
			bNum = bStart
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", aNum, aLen, bNum, bLen)
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(strings.TrimSuffix(o.text, "\r"))
			out.WriteByte('\n')
		}
		k = end
	}
	if !strings.HasSuffix(after, "\n") && after != "" {
		out.WriteString("\\ No newline at end of file\n")
	}
	return out.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}
