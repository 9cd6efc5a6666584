package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/value"
)

func (a *app) scheduledCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scheduled",
		Short: "list, cancel and run scheduled function calls",
	}
	cmd.AddCommand(a.scheduledListCommand(), a.scheduledCancelCommand(), a.scheduledWorkCommand(), a.scheduledCleanupCommand())
	return cmd
}

func (a *app) scheduledListCommand() *cobra.Command {
	var states []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list scheduled jobs (table _scheduled_functions) in creation order",
		Long:  "List scheduled jobs (table _scheduled_functions) in creation order." + remoteHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var want []functions.State
			for _, s := range states {
				st := functions.State(s)
				switch st {
				case functions.StatePending, functions.StateInProgress, functions.StateSuccess, functions.StateFailed, functions.StateCanceled:
				default:
					return usageErrorf("--state %q: want pending, inProgress, success, failed or canceled", s)
				}
				want = append(want, st)
			}
			var jobs []functions.Job
			var err error
			if c, err := a.remote(); c != nil || err != nil {
				if err != nil {
					return err
				}
				if jobs, err = remoteJobs(cmd.Context(), c, want); err != nil {
					return err
				}
			} else {
				db, err := a.open(cmd.Context())
				if err != nil {
					return err
				}
				if jobs, err = functions.ListJobs(cmd.Context(), db, want...); err != nil {
					return err
				}
			}
			if a.json {
				b := []byte{'['}
				for i, j := range jobs {
					if i > 0 {
						b = append(b, ',')
					}
					if b, err = value.AppendJSON(b, j.Doc()); err != nil {
						return err
					}
				}
				b = append(b, "]\n"...)
				_, err := a.stdout.Write(b)
				return err
			}
			if len(jobs) == 0 {
				fmt.Fprintln(a.stdout, "(no scheduled jobs)")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSTATE\tSCHEDULED\tCOMPLETED\tERROR")
			for _, j := range jobs {
				done := "-"
				if !j.CompletedTime.IsZero() {
					done = j.CompletedTime.UTC().Format(time.RFC3339Nano)
				}
				msg := strings.ReplaceAll(j.Error, "\t", " ")
				if len(msg) > 60 {
					msg = msg[:57] + "..."
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Name, j.State, j.ScheduledTime.UTC().Format(time.RFC3339Nano), done, msg)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "(%d job(s))\n", len(jobs))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&states, "state", nil, "only jobs in this state (repeatable)")
	return cmd
}

func (a *app) scheduledCancelCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID...",
		Short: "cancel pending jobs",
		Long: "Cancel pending jobs, all in one transaction: if one cannot be canceled (it already ran, or the id is not a job), none is." + remoteHelp + `
Remotely, each job is canceled in its own request, in order: the first that
cannot be stops the command, and those before it stay canceled.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.remote()
			if err != nil {
				return err
			}
			var db *strata.DB
			if c == nil {
				if db, err = a.open(cmd.Context()); err != nil {
					return err
				}
			}
			if c != nil {
				for _, id := range args {
					if err := c.CancelJob(cmd.Context(), id); err != nil {
						return err
					}
				}
			} else {
				err = db.Mutation(cmd.Context(), func(tx *strata.Tx) error {
					for _, id := range args {
						if err := functions.CancelJob(tx, strata.ID(id)); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			if a.json {
				b, err := value.MarshalJSON(map[string]any{"canceled": toAny(args)})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "%s\n", b)
				return err
			}
			for _, id := range args {
				fmt.Fprintf(a.stdout, "canceled %s\n", id)
			}
			return nil
		},
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func (a *app) scheduledWorkCommand() *cobra.Command {
	var (
		untilIdle   bool
		concurrency int
		poll        time.Duration
	)
	cmd := &cobra.Command{
		Use:   "work",
		Short: "run scheduled jobs with the application's functions until interrupted",
		Long: `Run a worker that executes due scheduled jobs with this binary's functions,
until interrupted (Ctrl-C waits for running jobs). Any number of workers may
run against one database, in any number of processes; each job still runs
once. --until-idle exits once no job is pending.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.fns == nil {
				return errNoFunctions
			}
			ctx := cmd.Context()
			db, err := a.open(ctx)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(a.stderr, nil))
			w, err := a.fns.StartWorker(ctx, db, functions.WorkerOptions{Concurrency: concurrency, PollInterval: poll, Logger: log})
			if err != nil {
				return err
			}
			stop := func() error {
				err := w.Stop(context.WithoutCancel(ctx))
				ok, failed := w.Stats()
				if a.json {
					fmt.Fprintf(a.stdout, "{\"succeeded\":%d,\"failed\":%d}\n", ok, failed)
				} else {
					fmt.Fprintf(a.stdout, "ran %d job(s): %d succeeded, %d failed\n", ok+failed, ok, failed)
				}
				return err
			}
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return stop()
				case <-tick.C:
				}
				if !untilIdle || w.Outstanding() > 0 {
					continue
				}
				pending, err := functions.ListJobs(ctx, db, functions.StatePending)
				if err != nil {
					stop()
					return err
				}
				if len(pending) == 0 {
					return stop()
				}
				w.Wake()
			}
		},
	}
	cmd.Flags().BoolVar(&untilIdle, "until-idle", false, "exit once no job is pending")
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, "most jobs run at once")
	cmd.Flags().DurationVar(&poll, "poll", time.Second, "how often to look for jobs scheduled by other processes")
	return cmd
}

func (a *app) scheduledCleanupCommand() *cobra.Command {
	var retention time.Duration
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "delete finished jobs older than --retention",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if retention < 0 {
				return usageErrorf("--retention must not be negative")
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			n, err := functions.Cleanup(cmd.Context(), db, retention)
			if err != nil {
				return err
			}
			if a.json {
				_, err = fmt.Fprintf(a.stdout, "{\"deleted\":%d}\n", n)
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "deleted %d job(s)\n", n)
			return err
		},
	}
	cmd.Flags().DurationVar(&retention, "retention", 7*24*time.Hour, "keep jobs that finished more recently than this")
	return cmd
}
