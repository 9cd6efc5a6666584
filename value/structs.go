package value

import "reflect"

func encodeStruct(rv reflect.Value, depth int) (any, *Error) {
	return nil, newErr("unsupported Go type " + rv.Type().String())
}
