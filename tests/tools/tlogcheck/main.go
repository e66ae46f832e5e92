// tlogcheck checks what terra-ledger publishes with Go's reference
// implementation of signed notes and transparency logs
// (golang.org/x/mod/sumdb/note and sumdb/tlog, as Debian packages them), so
// the toolkit's formats are tested by code the project did not write. It
// builds offline (GOPATH mode, GOPATH=/usr/share/gocode).
//
//	tlogcheck note VKEY NOTE                    open a checkpoint note, print "origin size root"
//	tlogcheck consistency VKEY OLDNOTE NEWNOTE  proof lines (base64) on stdin, RFC 6962 consistency
//	tlogcheck inclusion VKEY NOTE INDEX ENTRY   proof lines on stdin: ENTRY (a file) is leaf INDEX
//	tlogcheck tiles VKEY DIR                    the tiles and entry bundles under DIR against DIR/checkpoint
//
// Exit status 0 when it checks, 1 when it does not (the reason on stderr), 2 on usage.
package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(1)
}

// open verifies a checkpoint note with the vkey and parses its first three lines.
func open(vkey, file string) checkpoint {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	msg, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("%s: %v", file, err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		fail("%s: not a checkpoint", file)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		fail("%s: bad tree size %q", file, lines[1])
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		fail("%s: bad root hash", file)
	}
	var c checkpoint
	c.origin, c.size = lines[0], size
	copy(c.root[:], raw)
	return c
}

func proofLines() []tlog.Hash {
	var p []tlog.Hash
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		raw, err := base64.StdEncoding.Strict().DecodeString(sc.Text())
		if err != nil || len(raw) != tlog.HashSize {
			fail("proof line %d: not a base64 hash", len(p)+1)
		}
		var h tlog.Hash
		copy(h[:], raw)
		p = append(p, h)
	}
	return p
}

// dirTiles reads C2SP tlog-tiles paths: Go's tile paths without the
// height element, and "entries" where Go says "data".
type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := strings.TrimPrefix(t.Path(), "tile/8/")
		p = strings.Replace(p, "data/", "entries/", 1)
		b, err := os.ReadFile(filepath.Join(d.dir, "tile", p))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func checkTiles(vkey, dir string) {
	c := open(vkey, filepath.Join(dir, "checkpoint"))
	tree := tlog.Tree{N: c.size, Hash: c.root}
	r := tlog.TileHashReader(tree, dirTiles{dir})
	th, err := tlog.TreeHash(c.size, r)
	if err != nil {
		fail("tree hash from the tiles: %v", err)
	}
	if th != c.root {
		fail("the tiles give root %v, the checkpoint %v", th, c.root)
	}
	// Every entry of every bundle is the leaf the tiles hold, and provable.
	for n := int64(0); n*256 < c.size; n++ {
		w := c.size - n*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: 8, L: -1, N: n, W: int(w)}
		data, err := dirTiles{dir}.ReadTiles([]tlog.Tile{t})
		if err != nil {
			fail("entry bundle %d: %v", n, err)
		}
		b := data[0]
		for i := int64(0); i < w; i++ {
			if len(b) < 2 || len(b)-2 < int(b[0])<<8|int(b[1]) {
				fail("entry bundle %d: entry %d cut short", n, i)
			}
			l := int(b[0])<<8 | int(b[1])
			idx := n*256 + i
			hs, err := r.ReadHashes([]int64{tlog.StoredHashIndex(0, idx)})
			if err != nil {
				fail("leaf %d: %v", idx, err)
			}
			if tlog.RecordHash(b[2:2+l]) != hs[0] {
				fail("entry %d does not hash to its leaf", idx+1)
			}
			p, err := tlog.ProveRecord(c.size, idx, r)
			if err != nil {
				fail("prove entry %d: %v", idx+1, err)
			}
			if err := tlog.CheckRecord(p, c.size, c.root, idx, hs[0]); err != nil {
				fail("entry %d: %v", idx+1, err)
			}
			b = b[2+l:]
		}
		if len(b) != 0 {
			fail("entry bundle %d: bytes after its entries", n)
		}
	}
	fmt.Printf("%s %d %s\n", c.origin, c.size, base64.StdEncoding.EncodeToString(c.root[:]))
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tlogcheck note|consistency|inclusion|tiles ...")
		os.Exit(2)
	}
	switch a := os.Args[2:]; {
	case os.Args[1] == "note" && len(a) == 2:
		c := open(a[0], a[1])
		fmt.Printf("%s %d %s\n", c.origin, c.size, base64.StdEncoding.EncodeToString(c.root[:]))
	case os.Args[1] == "consistency" && len(a) == 3:
		old, cur := open(a[0], a[1]), open(a[0], a[2])
		if err := tlog.CheckTree(tlog.TreeProof(proofLines()), cur.size, cur.root, old.size, old.root); err != nil {
			fail("consistency %d -> %d: %v", old.size, cur.size, err)
		}
		fmt.Printf("consistent %d %d\n", old.size, cur.size)
	case os.Args[1] == "inclusion" && len(a) == 4:
		c := open(a[0], a[1])
		idx, err := strconv.ParseInt(a[2], 10, 64)
		if err != nil {
			fail("bad index %q", a[2])
		}
		entry, err := os.ReadFile(a[3])
		if err != nil {
			fail("%v", err)
		}
		entry = []byte(strings.TrimSuffix(string(entry), "\n"))
		if err := tlog.CheckRecord(tlog.RecordProof(proofLines()), c.size, c.root, idx, tlog.RecordHash(entry)); err != nil {
			fail("inclusion of leaf %d in %d: %v", idx, c.size, err)
		}
		fmt.Printf("included %d %d\n", idx, c.size)
	case os.Args[1] == "tiles" && len(a) == 2:
		checkTiles(a[0], a[1])
	default:
		fmt.Fprintln(os.Stderr, errors.New("usage: tlogcheck note|consistency|inclusion|tiles ..."))
		os.Exit(2)
	}
}
