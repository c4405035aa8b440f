module github.com/logrocket-identify/logrocket-identify/tests/faults/go

go 1.22

require github.com/logrocket-identify/logrocket-identify/bindings/go v0.0.0

replace github.com/logrocket-identify/logrocket-identify/bindings/go => ../../../bindings/go
