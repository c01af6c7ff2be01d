package config_test

import (
	"fmt"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/llmrouter/llmrouter/providers/fake"
)

// A router from YAML, with its provider registered in code and a mistake
// named by path and line.
func ExampleNewRouter() {
	base := llmrouter.Config{Providers: map[string]llmrouter.Provider{"fake": fake.New("fake")}}
	file := `
deployments:
  - {name: eu, provider: fake, region: eu-west-1}
  - {name: us, provider: fake, region: us-east-1}
routes:
  chat: {tiers: [[eu, us]]}
policies:
  - region_in: [eu-*]
`
	r, err := config.NewRouter([]byte(file), base)
	if err != nil {
		panic(err)
	}
	plan, _ := r.Plan(&llmrouter.Request{Model: "chat", Messages: []llmrouter.Message{llmrouter.User("hi")}}, false)
	fmt.Println(plan.Eligible())

	_, err = config.NewRouter([]byte(file+"  - max_price: {input: 3}\n    region_in: [us-*]\n"), base)
	fmt.Println(err)
	// Output:
	// [eu]
	// config: policies[1] (line 9): sets region_in and max_price; an entry sets exactly one policy (combine them with all)
}
