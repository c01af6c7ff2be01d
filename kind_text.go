package llmrouter

import "strconv"

// ParseKind returns the Kind whose String is name ("rate_limited",
// "context_length", ...), or false when there is none.
func ParseKind(name string) (Kind, bool) {
	for k, n := range kindNames {
		if n == name {
			return Kind(k), true
		}
	}
	return KindUnknown, false
}

// MarshalText encodes the kind as its name, so that configuration files
// and JSON name kinds as lineage does ("rate_limited").
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a kind's name; an unknown name is an error listing
// the known ones.
func (k *Kind) UnmarshalText(b []byte) error {
	kind, ok := ParseKind(string(b))
	if !ok {
		return &ConfigError{"kind", "unknown kind " + strconv.Quote(string(b)) + kindList()}
	}
	*k = kind
	return nil
}

// kindList names every kind, for error messages.
func kindList() string {
	s := " (want "
	for k, n := range kindNames {
		if k > 0 {
			s += ", "
		}
		s += n
	}
	return s + ")"
}
