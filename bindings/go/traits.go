package logrocket

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// appendTrait appends a Go trait value in the core's JSON input form. Every rule about which
// values the API accepts stays in the core: NaN and infinities travel as the core's `$float`
// markers, integers wider than 64 bits as `$bigint`, and maps, slices, structs and the like as a
// JSON object or array, which the core rejects as "Malformed request" naming the trait. The one
// check made here is UTF-8: the core must see exactly the bytes the caller gave, so a string
// that is not UTF-8 is refused (ok is false) rather than repaired.
func appendTrait(buf []byte, value any) (out []byte, ok bool) {
	// The common types first, without reflection.
	switch v := value.(type) {
	case nil:
		return append(buf, "null"...), true
	case string:
		return appendCheckedString(buf, v)
	case int:
		return strconv.AppendInt(buf, int64(v), 10), true
	case int64:
		return strconv.AppendInt(buf, v, 10), true
	case float64:
		return appendFloat(buf, v, 64), true
	case bool:
		return strconv.AppendBool(buf, v), true
	case json.Number:
		return appendNumber(buf, string(v))
	case *big.Int:
		if v == nil {
			return append(buf, "null"...), true
		}
		return appendBig(buf, v), true
	case big.Int:
		return appendBig(buf, &v), true
	}
	rv := reflect.ValueOf(value)
	switch rv.Kind() {
	case reflect.String:
		return appendCheckedString(buf, rv.String())
	case reflect.Bool:
		return strconv.AppendBool(buf, rv.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(buf, rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(buf, rv.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return appendFloat(buf, rv.Float(), rv.Type().Bits()), true
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(buf, "null"...), true
		}
		return append(buf, "{}"...), true
	case reflect.Slice, reflect.Array:
		return append(buf, "[]"...), true
	default: // maps, structs, channels, functions, complex numbers
		return append(buf, "{}"...), true
	}
}

func appendCheckedString(buf []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return buf, false
	}
	return appendJSONString(buf, s), true
}

func appendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, `{"$float":"NaN"}`...)
	case math.IsInf(f, 1):
		return append(buf, `{"$float":"Infinity"}`...)
	case math.IsInf(f, -1):
		return append(buf, `{"$float":"-Infinity"}`...)
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, 'g', -1, bits)
	if !strings.ContainsAny(string(buf[start:]), ".eE") {
		buf = append(buf, ".0"...) // keep it a float on the wire, as the other bindings send it
	}
	return buf
}

// appendNumber appends a json.Number: as a JSON number when it is one; when it is a number Go
// reads but JSON does not write ("NaN", "+1", "0x10"), as that number; otherwise as a string.
func appendNumber(buf []byte, text string) ([]byte, bool) {
	if isJSONNumber(text) {
		return append(buf, text...), true
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		return appendFloat(buf, f, 64), true
	}
	return appendCheckedString(buf, text)
}

// isJSONNumber reports whether s is a number as JSON writes it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

func appendBig(buf []byte, v *big.Int) []byte {
	if v.IsInt64() {
		return strconv.AppendInt(buf, v.Int64(), 10)
	}
	if v.IsUint64() {
		return strconv.AppendUint(buf, v.Uint64(), 10)
	}
	return append(v.Append(append(buf, `{"$bigint":"`...), 10), `"}`...)
}
