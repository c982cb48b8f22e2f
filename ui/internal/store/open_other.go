//go:build !unix

package store

// oNonblock is 0 where the platform has no O_NONBLOCK: the mode checks
// before and after opening remain.
const oNonblock = 0
