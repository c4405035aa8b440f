package logrocket

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// traitJSON turns a Go trait value into the core's JSON input form. Every rule about which
// values the API accepts stays in the core: NaN and infinities travel as the core's `$float`
// markers, integers wider than 64 bits as `$bigint`, and maps, slices, structs and the like as a
// JSON object or array, which the core rejects as "Malformed request" naming the trait.
func traitJSON(value any) json.RawMessage {
	switch v := value.(type) {
	case nil:
		return json.RawMessage("null")
	case json.Number:
		if _, err := strconv.ParseFloat(v.String(), 64); err == nil {
			return json.RawMessage(v.String())
		}
		return mustJSON(v.String())
	case *big.Int:
		if v == nil {
			return json.RawMessage("null")
		}
		return bigJSON(v)
	case big.Int:
		return bigJSON(&v)
	}
	rv := reflect.ValueOf(value)
	switch rv.Kind() {
	case reflect.String:
		return mustJSON(rv.String())
	case reflect.Bool:
		return mustJSON(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.RawMessage(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.RawMessage(strconv.FormatUint(rv.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return floatJSON(rv.Float(), rv.Type().Bits())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return json.RawMessage("null")
		}
		return json.RawMessage("{}")
	case reflect.Slice, reflect.Array:
		return json.RawMessage("[]")
	default: // maps, structs, channels, functions, complex numbers
		return json.RawMessage("{}")
	}
}

func floatJSON(f float64, bits int) json.RawMessage {
	switch {
	case math.IsNaN(f):
		return json.RawMessage(`{"$float":"NaN"}`)
	case math.IsInf(f, 1):
		return json.RawMessage(`{"$float":"Infinity"}`)
	case math.IsInf(f, -1):
		return json.RawMessage(`{"$float":"-Infinity"}`)
	}
	text := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(text, ".eE") {
		text += ".0" // keep it a float on the wire, as the other bindings send it
	}
	return json.RawMessage(text)
}

func bigJSON(v *big.Int) json.RawMessage {
	if v.IsInt64() {
		return json.RawMessage(strconv.FormatInt(v.Int64(), 10))
	}
	if v.IsUint64() {
		return json.RawMessage(strconv.FormatUint(v.Uint64(), 10))
	}
	return mustJSON(map[string]string{"$bigint": v.String()})
}

func mustJSON(v any) json.RawMessage {
	out, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return out
}
