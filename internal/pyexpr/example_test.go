package pyexpr_test

import (
	"fmt"

	"github.com/burrgo/burr/internal/pyexpr"
)

func Example() {
	p, err := pyexpr.Compile("'FINAL ANSWER' in messages[-1]['content'] or count // 2 == 1")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Names(), p.Keys())
	ok, err := p.Truth([]any{
		[]any{map[string]any{"role": "assistant", "content": "FINAL ANSWER: 42"}},
		3,
	})
	fmt.Println(ok, err)

	_, err = pyexpr.Compile("count > 1 && done")
	fmt.Println(err)
	// Output:
	// [messages count] [messages count]
	// true <nil>
	// column 11: '&&' is not Python: use 'and'
}
