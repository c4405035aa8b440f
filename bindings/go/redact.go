package logrocket

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

// redacted stands for a secret in fmt's output of a Config.
const redacted = "<redacted>"

// Format prints the Config as fmt would print the struct, for every verb and flag (%v, %+v,
// %#v, ...), but with APIKey and the credentials in Proxy replaced by "<redacted>": a logged
// configuration never reveals them. String and GoString give the same.
func (c Config) Format(f fmt.State, verb rune) {
	// The same fields without the methods, so that fmt prints them as usual.
	type plainConfig Config
	shown := plainConfig(c.redacted())
	if verb == 'v' && f.Flag('#') {
		text := fmt.Sprintf("%#v", shown)
		io.WriteString(f, strings.Replace(text, "logrocket.plainConfig{", "logrocket.Config{", 1))
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), shown)
}

// String is fmt's %v of the Config, secrets redacted (see Format).
func (c Config) String() string { return fmt.Sprintf("%v", c) }

// GoString is fmt's %#v of the Config, secrets redacted (see Format).
func (c Config) GoString() string { return fmt.Sprintf("%#v", c) }

// redacted is a copy with the secrets replaced.
func (c Config) redacted() Config {
	if c.APIKey != "" {
		c.APIKey = redacted
	}
	c.Proxy = redactedProxy(c.Proxy)
	return c
}

// redactedProxy is the proxy URL with its credentials, if any, replaced by "<redacted>"
// ("http://<redacted>@proxy.internal:3128"), as the core shows it. A URL too malformed to tell
// where its credentials end is redacted whole.
func redactedProxy(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw // no user information, so nothing secret
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Opaque != "" || u.Host == "" || u.Scheme == "" {
		return redacted
	}
	if u.User == nil {
		return raw // the '@' is in the path, the query or the fragment
	}
	u.User = nil
	shown := u.String()
	return strings.Replace(shown, "://", "://"+redacted+"@", 1)
}
