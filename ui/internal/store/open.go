package store

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// errNotRegular reports a file of the application directory that is not
// a regular file (a FIFO, a device, a directory): it is not read, since
// reading a FIFO would block the request, and the project list with it,
// for as long as nobody writes to it.
type errNotRegular struct {
	name string
	mode fs.FileMode
}

func (e *errNotRegular) Error() string {
	return fmt.Sprintf("%s: not a regular file (%s)", e.name, e.mode.Type())
}

// openRegular opens name under root for reading if it is a regular file.
// The mode is checked before opening (a symbolic link is followed inside
// the root), the file is opened without blocking where the platform has
// O_NONBLOCK (a FIFO swapped in after the check opens at once) and checked
// again on the open file.
func openRegular(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	fi, err := root.Lstat(name)
	if err != nil {
		return nil, nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if fi, err = root.Stat(name); err != nil {
			return nil, nil, err
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, &errNotRegular{name, fi.Mode()}
	}
	f, err := root.OpenFile(name, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &errNotRegular{name, fi.Mode()}
		}
		return nil, nil, err
	}
	return f, fi, nil
}

// readRegular reads a whole regular file of at most limit bytes.
func readRegular(root *os.Root, name string, limit int64) ([]byte, error) {
	f, fi, err := openRegular(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d read", name, fi.Size(), limit)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}
