package hostcheck

import "testing"

func TestLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true, "localhost": true, "LOCALHOST": true,
		"localhost.": true, "::ffff:127.0.0.1": true,
		"": false, "0.0.0.0": false, "::": false, "192.168.1.2": false, "example.com": false, "localhost.example": false,
	} {
		if got := Loopback(host); got != want {
			t.Errorf("Loopback(%q) = %v", host, got)
		}
	}
}

func TestAllowedHost(t *testing.T) {
	var local Checker
	named := Checker{}
	named.Allow("Chat.Example.", "proxy")
	for host, want := range map[string][3]bool{ // zero Checker, with Allow, AllowAny
		"127.0.0.1:8080":         {true, true, true},
		"127.0.0.1":              {true, true, true},
		"localhost:8080":         {true, true, true},
		"LocalHost.":             {true, true, true},
		"[::1]:8080":             {true, true, true},
		"evil.example":           {false, false, true},
		"evil.example:8080":      {false, false, true},
		"127.0.0.1.evil.example": {false, false, true},
		"chat.example:443":       {false, true, true},
		"CHAT.EXAMPLE":           {false, true, true},
		"proxy":                  {false, true, true},
		"":                       {false, false, true},
		":8080":                  {false, false, true},
	} {
		for i, c := range []*Checker{&local, &named, {AllowAny: true}} {
			if got := c.AllowedHost(host); got != want[i] {
				t.Errorf("checker %d: AllowedHost(%q) = %v", i, host, got)
			}
		}
	}
}
