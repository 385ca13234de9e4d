// Command argocd runs the two Argo CD components the tests need, from Argo CD's own command
// builders, plus an in-memory Redis for the application controller's cache:
//
//	argocd application-controller [flags]
//	argocd repo-server [flags]
//	argocd redis --port N
//
// Argo CD's go.mod has replace directives, so it cannot be installed with `go install`; building
// it as a dependency of this module (whose replace block copies Argo CD's) can.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alicebob/miniredis/v2"
	"github.com/spf13/cobra"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: argocd application-controller|repo-server|redis [flags]")
		os.Exit(2)
	}
	var command *cobra.Command
	switch os.Args[1] {
	case "application-controller":
		command = appcontroller.NewCommand()
	case "repo-server":
		command = reposerver.NewCommand()
	case "redis":
		os.Exit(runRedis(os.Args[2:]))
	default:
		fmt.Fprintf(os.Stderr, "unknown component %q\n", os.Args[1])
		os.Exit(2)
	}
	command.SetArgs(os.Args[2:])
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}

// runRedis serves an in-memory Redis until SIGTERM/SIGINT: the controller's cache needs nothing more.
func runRedis(args []string) int {
	flags := flag.NewFlagSet("redis", flag.ContinueOnError)
	port := flags.Int("port", 6379, "port to listen on (127.0.0.1 only)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	server := miniredis.NewMiniRedis()
	if err := server.StartAddr(fmt.Sprintf("127.0.0.1:%d", *port)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "redis listening on %s\n", server.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	server.Close()
	return 0
}
