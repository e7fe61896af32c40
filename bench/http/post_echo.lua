-- wrk script: POST a small JSON document to the echo action, with the bench token.
wrk.method = "POST"
wrk.body = '{"siret":"39860733300059","lookup":true,"n":42}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-client-token-0123456789"
