//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// ttyModes sets the terminal's modes for the demo's prompt and answers.
//
// At the prompt: in a terminal, Ctrl-C sends SIGINT to every process of the
// foreground job. Under "go run" that includes the go command, which then
// exits with status 1 however the demo ends. So while the demo waits at its
// prompt, it turns the terminal's signal keys off (ISIG) and makes Ctrl-C
// end the line (VEOL), keeping the terminal's line editing: the demo reads
// Ctrl-C as an ETX byte and quits with status 0, and go run exits 0 with it.
//
// During an answer, Ctrl-C is a signal again, and the terminal keeps the
// output it has not shown yet (NOFLSH) rather than discard it: the answer
// on the screen is the answer kept.
type ttyModes struct {
	fd                     int
	normal, prompt, answer unix.Termios
}

// newTTYModes returns nil when f is not a terminal whose modes can be
// changed.
func newTTYModes(f *os.File) *ttyModes {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil || t.Lflag&unix.ICANON == 0 || t.Lflag&unix.ISIG == 0 {
		return nil
	}
	m := &ttyModes{fd: fd, normal: *t, prompt: *t, answer: *t}
	m.prompt.Lflag &^= unix.ISIG
	m.prompt.Cc[unix.VEOL] = ctrlC
	m.answer.Lflag |= unix.NOFLSH
	return m
}

// atPrompt makes Ctrl-C input that ends the line. Like the other methods,
// it does nothing on a nil *ttyModes.
func (m *ttyModes) atPrompt() {
	if m != nil {
		m.set(&m.prompt)
	}
}

// answering makes Ctrl-C a signal that leaves the output alone.
func (m *ttyModes) answering() {
	if m != nil {
		m.set(&m.answer)
	}
}

// restore gives the terminal back the modes it had.
func (m *ttyModes) restore() {
	if m != nil {
		m.set(&m.normal)
	}
}

func (m *ttyModes) set(t *unix.Termios) {
	unix.IoctlSetTermios(m.fd, ioctlSetTermios, t) // TCSETS/TIOCSETA: without flushing what was typed ahead
}
