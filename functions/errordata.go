package functions

// DataError is an error a handler returns to give its caller structured
// data with the message, like Convex's ConvexError: the HTTP API
// (package server) sends Data as the call's errorData, which Convex's
// clients expose as error.data. Data must be a value of strata's data
// model.
type DataError struct {
	Message string
	Data    any
}

// Error returns the message.
func (e *DataError) Error() string { return e.Message }
