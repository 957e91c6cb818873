// Command trainingwheels is the demo app of the links lesson (placeholder; see the issue).
package main

import _ "github.com/redis/go-redis/v9"

func main() {}
