// Package testenv finds what the project's tests need from their environment:
// the servers started by .ci/services.sh and Python Burr's demo runs.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// Server returns the address in the environment variable env, which names a
// test server (what). When it is unset the test is skipped with a message
// saying how to start the servers, or fails in CI, where they must be there.
func Server(t testing.TB, env, what string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		msg := env + " is not set; to run the " + what + " tests: " +
			`eval "$(sudo bash .ci/services.sh)" (starts PostgreSQL and Redis and prints the exports), then go test ./...`
		if InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return v
}

// The environment variables Server reads.
const (
	PostgresDSN = "BURR_TEST_POSTGRES_DSN"
	RedisAddr   = "BURR_TEST_REDIS_ADDR"
)

// The environment variables Jaeger reads.
const (
	JaegerOTLP  = "BURR_TEST_JAEGER_OTLP"  // host:port of Jaeger's OTLP/HTTP receiver
	JaegerQuery = "BURR_TEST_JAEGER_QUERY" // base URL of Jaeger's query API
)

// Jaeger returns the address of the OTLP/HTTP receiver and the base URL of
// the query API of the Jaeger that .ci/jaeger.sh starts. When they are unset
// the test is skipped with a message saying how to start it, or fails in CI.
func Jaeger(t testing.TB) (otlp, query string) {
	t.Helper()
	otlp, query = os.Getenv(JaegerOTLP), os.Getenv(JaegerQuery)
	if otlp == "" || query == "" {
		msg := JaegerOTLP + " or " + JaegerQuery + " is not set; to run the end-to-end tracing tests: " +
			`eval "$(bash .ci/jaeger.sh)" (builds Jaeger into .ci/bin, starts it on loopback and prints the exports), then go test ./otel/...`
		if InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return otlp, query
}

// DemoData returns the directory holding Python Burr's demo runs: $BURR_DEMO_DATA,
// or shared/testdata/burr-demo-data beside the module's directory. The test is
// skipped when it is absent.
func DemoData(t testing.TB) string {
	t.Helper()
	dirs := []string{os.Getenv("BURR_DEMO_DATA")}
	if root, err := moduleRoot(); err == nil {
		dirs = append(dirs, filepath.Join(root, "..", "shared", "testdata", "burr-demo-data"))
	}
	dirs = append(dirs, "/work/shared/testdata/burr-demo-data")
	for _, d := range dirs {
		if fi, err := os.Stat(d); d != "" && err == nil && fi.IsDir() {
			abs, err := filepath.Abs(d)
			if err == nil {
				return abs
			}
		}
	}
	t.Skipf("Python Burr's demo data not found (looked in %v); set BURR_DEMO_DATA", dirs[1:])
	return ""
}

// moduleRoot is the nearest directory above the working directory holding a
// go.mod file.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
