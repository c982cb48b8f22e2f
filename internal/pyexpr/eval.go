package pyexpr

// eval evaluates n. The evaluator is a set of mutually recursive functions
// switching on the node's kind, so that vars never escapes and a simple
// comparison allocates nothing; eval itself keeps a small frame, the work
// being in one function per kind.
func (p *Program) eval(n *node, vars []any) (Value, error) {
	if n.folded {
		return n.val, nil
	}
	switch n.kind {
	case nConst:
		return n.val, nil
	case nName:
		x := vars[n.slot]
		if _, missing := x.(Missing); missing {
			return none, raise(n.pos, "NameError: name '%s' is not defined", n.name)
		}
		return fromGo(x), nil
	case nCompare:
		return p.evalCompare(n, vars)
	case nAnd, nOr:
		return p.evalBool(n, vars)
	case nNot:
		v, err := p.eval(n.kids[0], vars)
		return boolV(!v.Truth()), err
	case nBinary:
		return p.evalBinary(n, vars)
	case nIndex:
		return p.evalIndex(n, vars)
	case nCall:
		return p.evalCall(n, vars)
	}
	return p.evalOther(n, vars)
}

func (p *Program) evalCompare(n *node, vars []any) (Value, error) {
	left, err := p.eval(n.kids[0], vars)
	if err != nil {
		return none, err
	}
	for i, op := range n.cmps {
		right, err := p.eval(n.kids[i+1], vars)
		if err != nil {
			return none, err
		}
		var ok bool
		if left.k == kInt && right.k == kInt && op <= cmpGe {
			ok = intCompare(op, left.int(), right.int())
		} else if ok, err = compare(op, left, right); err != nil {
			return none, at(n.pos, err)
		}
		if !ok {
			return valFalse, nil
		}
		left = right
	}
	return valTrue, nil
}

func intCompare(op cmpOp, x, y int64) bool {
	switch op {
	case cmpEq:
		return x == y
	case cmpNe:
		return x != y
	case cmpLt:
		return x < y
	case cmpLe:
		return x <= y
	case cmpGt:
		return x > y
	}
	return x >= y
}

func (p *Program) evalBool(n *node, vars []any) (Value, error) {
	var v Value
	for _, k := range n.kids {
		var err error
		if v, err = p.eval(k, vars); err != nil {
			return none, err
		}
		if v.Truth() == (n.kind == nOr) {
			return v, nil
		}
	}
	return v, nil
}

func (p *Program) evalBinary(n *node, vars []any) (Value, error) {
	a, err := p.eval(n.kids[0], vars)
	if err != nil {
		return none, err
	}
	b, err := p.eval(n.kids[1], vars)
	if err != nil {
		return none, err
	}
	v, err := binary(binOp(n.op), a, b)
	return v, at(n.pos, err)
}

func (p *Program) evalIndex(n *node, vars []any) (Value, error) {
	a, err := p.eval(n.kids[0], vars)
	if err != nil {
		return none, err
	}
	k, err := p.eval(n.kids[1], vars)
	if err != nil {
		return none, err
	}
	// The JSON-shaped state's common cases first: messages[-1]['content'].
	switch r := a.r.(type) {
	case []any:
		if k.k == kInt {
			i := k.int()
			if i < 0 {
				i += int64(len(r))
			}
			if 0 <= i && i < int64(len(r)) {
				return fromGo(r[i]), nil
			}
		}
	case map[string]any:
		if k.k == kStr {
			if v, ok := r[k.s]; ok {
				return fromGo(v), nil
			}
		}
	}
	v, err := index(a, k)
	return v, at(n.pos, err)
}

func (p *Program) evalCall(n *node, vars []any) (Value, error) {
	if x := vars[n.slot]; x != (Missing{}) {
		// A variable shadows the builtin, and a Go value cannot be called.
		return none, raise(n.pos, "TypeError: '%s' object is not callable", typeName(fromGo(x)))
	}
	if builtin(n.op) == bLen {
		a, err := p.eval(n.kids[0], vars)
		if err != nil {
			return none, err
		}
		l := length(a)
		if l < 0 {
			return none, raise(n.pos, "TypeError: object of type '%s' has no len()", typeName(a))
		}
		return intV(int64(l)), nil
	}
	args, err := p.evalAll(n.kids, vars)
	if err != nil {
		return none, err
	}
	v, err := call(builtin(n.op), n.name, args)
	return v, at(n.pos, err)
}

// evalOther evaluates the kinds of node that build values or are rarer.
func (p *Program) evalOther(n *node, vars []any) (Value, error) {
	switch n.kind {
	case nIf:
		c, err := p.eval(n.kids[1], vars)
		if err != nil {
			return none, err
		}
		if c.Truth() {
			return p.eval(n.kids[0], vars)
		}
		return p.eval(n.kids[2], vars)
	case nUnary:
		a, err := p.eval(n.kids[0], vars)
		if err != nil {
			return none, err
		}
		v, err := unary(unOp(n.op), a)
		return v, at(n.pos, err)
	case nSlice:
		var parts [4]Value
		for i, k := range n.kids {
			if k == nil {
				continue
			}
			var err error
			if parts[i], err = p.eval(k, vars); err != nil {
				return none, err
			}
		}
		v, err := sliceOf(parts[0], parts[1], parts[2], parts[3])
		return v, at(n.pos, err)
	case nAttr:
		a, err := p.eval(n.kids[0], vars)
		if err != nil {
			return none, err
		}
		v, err := attr(a, n.name)
		return v, at(n.pos, err)
	case nList, nTuple:
		out, err := p.evalAll(n.kids, vars)
		if err != nil {
			return none, err
		}
		if n.kind == nTuple {
			return Value{k: kTuple, r: out}, nil
		}
		return Value{k: kList, r: out}, nil
	case nSet:
		its, err := p.evalAll(n.kids, vars)
		if err != nil {
			return none, err
		}
		v, err := newSet(its)
		return v, at(n.pos, err)
	case nDict:
		kv, err := p.evalAll(n.kids, vars)
		if err != nil {
			return none, err
		}
		v, err := newDict(kv)
		return v, at(n.pos, err)
	}
	panic("unknown node")
}

func (p *Program) evalAll(kids []*node, vars []any) ([]Value, error) {
	out := make([]Value, len(kids))
	for i, k := range kids {
		var err error
		if out[i], err = p.eval(k, vars); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// newSet builds a set from items, dropping those equal to an earlier one.
func newSet(its []Value) (Value, error) {
	s := &set{}
	for _, v := range its {
		if err := unhashable(v); err != nil {
			return none, err
		}
		if !setHas(s, v, 1) {
			s.items = append(s.items, v)
		}
	}
	return Value{k: kSet, r: s}, nil
}

// newDict builds a dict from alternating keys and values; a key equal to an
// earlier one keeps the earlier key and takes the later value.
func newDict(kv []Value) (Value, error) {
	d := &dict{}
outer:
	for i := 0; i < len(kv); i += 2 {
		k, v := kv[i], kv[i+1]
		if err := unhashable(k); err != nil {
			return none, err
		}
		for j, old := range d.keys {
			if equal(old, k, 1) {
				d.vals[j] = v
				continue outer
			}
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
	}
	return Value{k: kDict, r: d}, nil
}

// fold computes, once, the value of literal containers and of signs applied
// to number literals, so that "x in ['a', 'b']" and "x[-1]" build nothing
// when evaluated. Nothing an expression does can change a value, so sharing
// it between evaluations is safe.
func fold(n *node) bool {
	if n == nil {
		return false
	}
	all := true
	for _, k := range n.kids {
		if !fold(k) && k != nil {
			all = false
		}
	}
	var v Value
	var err error
	switch n.kind {
	case nConst:
		return true
	case nUnary:
		if !all || !n.kids[0].val.isNum() {
			return false
		}
		v, err = unary(unOp(n.op), n.kids[0].val)
	case nList, nTuple, nSet, nDict:
		if !all {
			return false
		}
		vals := make([]Value, len(n.kids))
		for i, k := range n.kids {
			vals[i] = k.val
		}
		switch n.kind {
		case nList:
			v = Value{k: kList, r: vals}
		case nTuple:
			v = Value{k: kTuple, r: vals}
		case nSet:
			v, err = newSet(vals)
		default:
			v, err = newDict(vals)
		}
	default:
		return false
	}
	if err != nil {
		return false
	}
	n.val, n.folded = v, true
	return true
}
