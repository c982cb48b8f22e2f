//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "os"

// ttyModes is a no-op here: Ctrl-C at the prompt arrives as a signal.
type ttyModes struct{}

func newTTYModes(*os.File) *ttyModes { return nil }
func (*ttyModes) atPrompt()          {}
func (*ttyModes) answering()         {}
func (*ttyModes) restore()           {}
