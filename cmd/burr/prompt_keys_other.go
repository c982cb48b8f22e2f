//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "os"

// promptKeys is a no-op here: Ctrl-C at the prompt arrives as a signal.
type promptKeys struct{}

func newPromptKeys(*os.File) *promptKeys { return nil }
func (*promptKeys) atPrompt()            {}
func (*promptKeys) restore()             {}
