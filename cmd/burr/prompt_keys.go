//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// promptKeys turns Ctrl-C at the demo's prompt into input instead of a
// signal.
//
// In a terminal, Ctrl-C sends SIGINT to every process of the foreground job.
// Under "go run" that includes the go command, which then exits with status
// 1 however the demo ends. So while the demo waits at its prompt, it turns
// the terminal's signal keys off (ISIG) and makes Ctrl-C end the line
// (VEOL), keeping the terminal's line editing: the demo reads Ctrl-C as an
// ETX byte and quits with status 0, and go run exits 0 with it. While an
// answer streams, the signal keys are on again.
type promptKeys struct {
	fd     int
	normal unix.Termios
	prompt unix.Termios
}

// newPromptKeys returns nil when f is not a terminal whose modes can be
// changed.
func newPromptKeys(f *os.File) *promptKeys {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil || t.Lflag&unix.ICANON == 0 || t.Lflag&unix.ISIG == 0 {
		return nil
	}
	k := &promptKeys{fd: fd, normal: *t, prompt: *t}
	k.prompt.Lflag &^= unix.ISIG
	k.prompt.Cc[unix.VEOL] = ctrlC
	return k
}

// atPrompt makes Ctrl-C input that ends the line. Like restore, it does
// nothing on a nil *promptKeys.
func (k *promptKeys) atPrompt() {
	if k != nil {
		unix.IoctlSetTermios(k.fd, ioctlSetTermios, &k.prompt) // without flushing what was typed ahead
	}
}

// restore gives the terminal back its modes: Ctrl-C sends SIGINT.
func (k *promptKeys) restore() {
	if k != nil {
		unix.IoctlSetTermios(k.fd, ioctlSetTermios, &k.normal)
	}
}
