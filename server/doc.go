// Package server serves a strata database over HTTP: the functions of a
// functions.App through the same API as a Convex deployment, so that
// Convex's own clients (ConvexHttpClient of the convex npm package) call
// them unchanged.
//
// Routes (docs/http-api.md describes each):
//
//	POST /api/query     run a query
//	POST /api/mutation  run a mutation
//	POST /api/action    refused: strata has no actions
//
// The body is {"path": "dir/module:function", "format":
// "convex_encoded_json", "args": [ARGS]}, with values in Convex's JSON
// encoding (value.ParseConvexJSON). The answer is
// {"status":"success","value":V,"logLines":[]} with HTTP 200, or
// {"status":"error","errorMessage":...,"errorData":...} with HTTP 560
// when the function failed (unknown or internal function, invalid
// arguments, an error returned by the handler); other 4xx and 5xx answers
// are protocol errors (malformed request, body too large, wrong method,
// a wrong admin key) with a plain-text body.
//
// Function names: a strata function registered as "messages:list" or
// "chat/messages:list" is the Convex path of the same text, which is what
// api.messages.list and api.chat.messages.list send. A path without
// ":function" names the module's "default" function, and a ".js" suffix on
// the module is ignored, as Convex does.
//
// A Server is an http.Handler, to mount in an application's own net/http
// server; Serve runs it on a listener as strata serve does, answering
// calls on a leaner HTTP/1.1 server (fasthttp) than net/http, and every
// other route through the same handler, with the same answers.
//
// Internal functions are refused, as unknown ones are, unless the request
// carries the admin key as Convex's clients send it (Authorization:
// Convex KEY). A Bearer token is accepted and ignored: strata has no user
// identities yet.
package server
