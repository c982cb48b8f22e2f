package ui

import (
	"fmt"
	"slices"

	"github.com/burrgo/burr/ui/internal/store"
)

// graphLayout is a graph placed on a plane, ready to be drawn as SVG by
// the "graph" template. Layers run top to bottom: a node's layer is its
// breadth-first distance from the entrypoint; edges that go back up (the
// loops of a chatbot) are routed in lanes to the right of the nodes.
type graphLayout struct {
	Width, Height float64
	Nodes         []graphNode
	Edges         []graphEdge
}

type graphNode struct {
	Name          string
	X, Y, W, H    float64
	Entry, Active bool
}

type graphEdge struct {
	From, To       string
	Path           string // SVG path data
	Label          string // empty for the "default" condition
	LabelX, LabelY float64
	Back           bool
}

const (
	nodeH     = 34.0
	layerGap  = 56.0
	nodeGap   = 28.0
	margin    = 16.0
	charWidth = 7.4
	laneGap   = 16.0
)

func nodeWidth(name string) float64 { return max(84, float64(len([]rune(name)))*charWidth+28) }

// layoutGraph computes a layered layout of g. active names the action to
// highlight (the last one that ran); it may be empty.
func layoutGraph(g *store.Graph, active string) *graphLayout {
	// Nodes: actions in file order, then any name only a transition knows.
	var names []string
	index := map[string]int{}
	add := func(n string) {
		if _, ok := index[n]; !ok {
			index[n] = len(names)
			names = append(names, n)
		}
	}
	for _, a := range g.Actions {
		add(a.Name)
	}
	for _, t := range g.Transitions {
		add(t.From)
		add(t.To)
	}
	if len(names) == 0 {
		return &graphLayout{Width: 2 * margin, Height: 2 * margin}
	}
	succ := map[string][]string{}
	for _, t := range g.Transitions {
		succ[t.From] = append(succ[t.From], t.To)
	}

	// Layers by breadth-first search, from the entrypoint first.
	layer := map[string]int{}
	var order []string // discovery order
	bfs := func(start string) {
		if _, ok := layer[start]; ok {
			return
		}
		layer[start] = 0
		queue := []string{start}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			order = append(order, n)
			for _, m := range succ[n] {
				if _, ok := layer[m]; !ok {
					layer[m] = layer[n] + 1
					queue = append(queue, m)
				}
			}
		}
	}
	if _, ok := index[g.Entrypoint]; ok {
		bfs(g.Entrypoint)
	}
	for _, n := range names {
		bfs(n)
	}
	nLayers := 0
	for _, l := range layer {
		nLayers = max(nLayers, l+1)
	}
	layers := make([][]string, nLayers)
	for _, n := range order {
		layers[layer[n]] = append(layers[layer[n]], n)
	}

	// Two barycenter sweeps reduce crossings of forward edges.
	pos := map[string]float64{}
	setPos := func() {
		for _, l := range layers {
			for i, n := range l {
				pos[n] = float64(i) - float64(len(l)-1)/2
			}
		}
	}
	setPos()
	preds := map[string][]string{}
	for _, t := range g.Transitions {
		if layer[t.To] == layer[t.From]+1 {
			preds[t.To] = append(preds[t.To], t.From)
		}
	}
	for range 2 {
		for li := 1; li < nLayers; li++ {
			bary := map[string]float64{}
			for _, n := range layers[li] {
				if ps := preds[n]; len(ps) > 0 {
					sum := 0.0
					for _, p := range ps {
						sum += pos[p]
					}
					bary[n] = sum / float64(len(ps))
				} else {
					bary[n] = pos[n]
				}
			}
			slices.SortStableFunc(layers[li], func(a, b string) int {
				switch {
				case bary[a] < bary[b]:
					return -1
				case bary[a] > bary[b]:
					return 1
				}
				return 0
			})
			setPos()
		}
	}

	// Coordinates: each layer centred on the widest one.
	widest := 0.0
	for _, l := range layers {
		w := -nodeGap
		for _, n := range l {
			w += nodeWidth(n) + nodeGap
		}
		widest = max(widest, w)
	}
	out := &graphLayout{}
	nodes := map[string]*graphNode{}
	for li, l := range layers {
		w := -nodeGap
		for _, n := range l {
			w += nodeWidth(n) + nodeGap
		}
		x := margin + (widest-w)/2
		for _, n := range l {
			gn := graphNode{Name: n, X: x, Y: margin + float64(li)*(nodeH+layerGap), W: nodeWidth(n), H: nodeH,
				Entry: n == g.Entrypoint, Active: n == active}
			out.Nodes = append(out.Nodes, gn)
			x += gn.W + nodeGap
		}
	}
	for i := range out.Nodes {
		nodes[out.Nodes[i].Name] = &out.Nodes[i]
	}
	out.Width = margin*2 + widest
	out.Height = margin*2 + float64(nLayers)*nodeH + float64(nLayers-1)*layerGap

	// Edges.
	lanes := 0
	seen := map[[2]string]int{} // parallel edges get spread apart
	for _, t := range g.Transitions {
		a, b := nodes[t.From], nodes[t.To]
		k := seen[[2]string{t.From, t.To}]
		seen[[2]string{t.From, t.To}]++
		e := graphEdge{From: t.From, To: t.To}
		if t.Condition != "default" {
			e.Label = t.Condition
		}
		var p [4][2]float64
		switch {
		case a == b:
			x, y := a.X+a.W, a.Y
			r := 34 + 14*float64(k)
			p = [4][2]float64{{x, y + 8}, {x + r, y - 12}, {x + r, y + a.H + 12}, {x, y + a.H - 8}}
			e.Back = true
		case layer[t.To] > layer[t.From]:
			off := 10 * float64(k)
			sx, sy := a.X+a.W/2+off, a.Y+a.H
			ex, ey := b.X+b.W/2+off, b.Y
			dy := (ey - sy) / 2
			p = [4][2]float64{{sx, sy}, {sx, sy + dy}, {ex, ey - dy}, {ex, ey}}
		default:
			// Up or sideways: a lane to the right of every node in between.
			lo, hi := layer[t.To], layer[t.From]
			right := 0.0
			for _, n := range out.Nodes {
				if l := layer[n.Name]; l >= lo && l <= hi {
					right = max(right, n.X+n.W)
				}
			}
			lanes++
			xr := right + 18 + laneGap*float64(lanes)
			sy, ey := a.Y+a.H/2+4, b.Y+b.H/2-4
			p = [4][2]float64{{a.X + a.W, sy}, {xr, sy}, {xr, ey}, {b.X + b.W, ey}}
			e.Back = true
		}
		e.Path = fmt.Sprintf("M%.1f %.1f C%.1f %.1f %.1f %.1f %.1f %.1f",
			p[0][0], p[0][1], p[1][0], p[1][1], p[2][0], p[2][1], p[3][0], p[3][1])
		// Labels of forward edges sit nearer the target, where edges fanning
		// out of one node are apart; the others at the curve's midpoint.
		if e.Back {
			e.LabelX, e.LabelY = bezier(p, 0.5)
			e.LabelX += 4
		} else {
			e.LabelX, e.LabelY = bezier(p, 0.75)
			e.LabelX += 3
		}
		placeLabel(&e, out.Edges)
		out.Width = max(out.Width, max(p[1][0], p[2][0])+margin)
		if e.Label != "" {
			out.Width = max(out.Width, e.LabelX+labelWidth(e.Label)+margin)
			out.Height = max(out.Height, e.LabelY+margin)
		}
		out.Edges = append(out.Edges, e)
	}
	return out
}

// CX and CY are the centre of the node's box.
func (n graphNode) CX() float64 { return n.X + n.W/2 }
func (n graphNode) CY() float64 { return n.Y + n.H/2 }

// bezier is the point at parameter t of the cubic Bézier curve p.
func bezier(p [4][2]float64, t float64) (x, y float64) {
	u := 1 - t
	a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
	return a*p[0][0] + b*p[1][0] + c*p[2][0] + d*p[3][0], a*p[0][1] + b*p[1][1] + c*p[2][1] + d*p[3][1]
}

// labelWidth estimates the width of an edge label in the SVG's font.
func labelWidth(s string) float64 { return float64(len([]rune(s))) * 6.6 }

// placeLabel moves e's label down until it overlaps no label placed before.
func placeLabel(e *graphEdge, placed []graphEdge) {
	if e.Label == "" {
		return
	}
	overlaps := func() bool {
		for _, o := range placed {
			if o.Label == "" {
				continue
			}
			if e.LabelX < o.LabelX+labelWidth(o.Label)+10 && o.LabelX < e.LabelX+labelWidth(e.Label)+10 &&
				e.LabelY < o.LabelY+12 && o.LabelY < e.LabelY+12 {
				return true
			}
		}
		return false
	}
	for i := 0; i < 20 && overlaps(); i++ {
		e.LabelY += 12
	}
}
