//go:build tools

// Package deps pins the product's fixed stack in go.mod while packages are being built, so that
// `go mod tidy` keeps every module the owner chose.
package deps

import (
	_ "github.com/SherClockHolmes/webpush-go"
	_ "github.com/blevesearch/bleve/v2"
	_ "github.com/go-ego/gse"
	_ "github.com/gofiber/fiber/v2"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/gorilla/websocket"
	_ "github.com/mozillazg/go-pinyin"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/sashabaranov/go-openai"
	_ "github.com/valyala/fasthttp"
)
