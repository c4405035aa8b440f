module github.com/logrocket-identify/logrocket-identify/bindings/go

go 1.22
