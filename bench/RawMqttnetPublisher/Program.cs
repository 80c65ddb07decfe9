// Baselines for build/bench.ps1. Every mode prints one line "RESULT {json}" on success and exits 0; anything
// else (usage, connection failure, timeout, short count) exits non-zero with the reason on stderr.
//
//   publish <host> <port> <topic> <qos> <file> [clientId] [window] [repeat]
//       Reads the file's lines, connects (MQTT 5), then awaits each PublishAsync one at a time (window 1, the
//       default), or keeps up to window publishes in flight (sending the next as soon as the oldest completes).
//       Times only the publish loop: {"elapsedMs":..,"sent":..,"runsMs":[..]}; with repeat > 1 the loop runs
//       again on the same connection (warm code) and elapsedMs stays the first, cold, run.
//   receive <host> <port> <topic> <qos> <count> <latency|rate> <clientId> <timeoutSeconds> [goFile]
//       Subscribes, then prints "READY" (the subscription is active at the broker). latency: each payload is a
//       send stamp (Unix microseconds) and the milliseconds since it are recorded -> {"count":..,"p50Ms":..,"p99Ms":..}.
//       rate: the first message blocks the handler until goFile exists (so the burst piles up in front of the
//       client), then the remaining count-1 messages are timed -> {"count":..,"elapsedMs":..,"perSecond":..}.
//   pace <count> <perSecond> <startDelayMs> <program> [args...]
//       Starts program with its stdin on a pipe (e.g. mosquitto_pub -l), gives it startDelayMs to start and
//       connect (mosquitto_pub reads no line before its CONNACK), then writes count lines at a steady rate, each
//       the Unix time in microseconds when it is written; then closes stdin and waits for the program.
//       Exit code: the program's.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace SangoPS.Bench;

internal static class Program
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> Main(string[] args)
    {
        try
        {
            return args.Length switch
            {
                >= 6 when args[0] == "publish" => await PublishAsync(args).ConfigureAwait(false),
                >= 9 when args[0] == "receive" => await ReceiveAsync(args).ConfigureAwait(false),
                >= 5 when args[0] == "pace" => Pace(args),
                _ => Usage(),
            };
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"{args.FirstOrDefault()}: {exception.GetType().Name}: {exception.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: publish <host> <port> <topic> <qos> <file> [clientId] [window] [repeat]");
        Console.Error.WriteLine("       receive <host> <port> <topic> <qos> <count> <latency|rate> <clientId> <timeoutSeconds> [goFile]");
        Console.Error.WriteLine("       pace <count> <perSecond> <startDelayMs> <program> [args...]");
        return 2;
    }

    private static async Task<IMqttClient> ConnectAsync(string host, int port, string clientId, CancellationToken cancellationToken)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanSession(true)
            .Build();
        await client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        return client;
    }

    private static async Task<int> PublishAsync(string[] args)
    {
        var (host, port, topic, qos, file) = (args[1], int.Parse(args[2], Invariant), args[3], int.Parse(args[4], Invariant), args[5]);
        var clientId = args.Length > 6 ? args[6] : "raw-pub-" + Environment.ProcessId.ToString(Invariant);
        var window = args.Length > 7 ? int.Parse(args[7], Invariant) : 1;
        var repeat = args.Length > 8 ? int.Parse(args[8], Invariant) : 1;
        var lines = await File.ReadAllLinesAsync(file).ConfigureAwait(false);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        using var client = await ConnectAsync(host, port, clientId, deadline.Token).ConfigureAwait(false);

        var level = (MqttQualityOfServiceLevel)qos;
        var pending = new Queue<Task<MqttClientPublishResult>>(window);
        var runs = new List<double>();
        for (var run = 0; run < repeat; run++)
        {
            var watch = Stopwatch.StartNew();
            foreach (var line in lines)
            {
                var message = new MqttApplicationMessage
                {
                    Topic = topic,
                    PayloadSegment = Encoding.UTF8.GetBytes(line),
                    QualityOfServiceLevel = level,
                };
                if (pending.Count >= window)
                {
                    Check(await pending.Dequeue().ConfigureAwait(false));
                }

                pending.Enqueue(client.PublishAsync(message, deadline.Token));
            }

            while (pending.Count > 0)
            {
                Check(await pending.Dequeue().ConfigureAwait(false));
            }

            runs.Add(watch.Elapsed.TotalMilliseconds);
        }

        // A ping round trip proves the broker has read every QoS 0 message before the socket closes (linger 0).
        await client.PingAsync(deadline.Token).ConfigureAwait(false);
        await client.DisconnectAsync(new MqttClientDisconnectOptions(), deadline.Token).ConfigureAwait(false);
        var all = string.Join(",", runs.Select(ms => ms.ToString("0.###", Invariant)));
        Console.WriteLine(string.Create(Invariant, $"RESULT {{\"elapsedMs\":{runs[0]:0.###},\"sent\":{lines.Length * repeat},\"runsMs\":[{all}]}}"));
        return 0;
    }

    private static void Check(MqttClientPublishResult result)
    {
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"publish refused: {result.ReasonCode}");
        }
    }

    private static async Task<int> ReceiveAsync(string[] args)
    {
        var (host, port, topic, qos, count, mode, clientId, timeoutSeconds) =
            (args[1], int.Parse(args[2], Invariant), args[3], int.Parse(args[4], Invariant), int.Parse(args[5], Invariant), args[6], args[7], int.Parse(args[8], Invariant));
        var goFile = args.Length > 9 ? args[9] : null;
        if (mode is not ("latency" or "rate") || (mode == "rate" && goFile is null))
        {
            return Usage();
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        using var client = await ConnectAsync(host, port, clientId, deadline.Token).ConfigureAwait(false);
        var latencies = new double[count];
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = new Stopwatch();
        client.ApplicationMessageReceivedAsync += async e =>
        {
            var n = received;
            if (n >= count)
            {
                return;
            }

            if (mode == "latency")
            {
                var stamp = long.Parse(Encoding.ASCII.GetString(e.ApplicationMessage.Payload), Invariant);
                latencies[n] = (NowMicroseconds() - stamp) / 1000.0;
            }
            else if (n == 0)
            {
                while (!File.Exists(goFile))
                {
                    await Task.Delay(5, deadline.Token).ConfigureAwait(false);
                }

                watch.Start();
            }

            received = n + 1;
            if (received == count)
            {
                watch.Stop();
                done.TrySetResult();
            }
        };

        var subscribe = new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, (MqttQualityOfServiceLevel)qos).Build();
        await client.SubscribeAsync(subscribe, deadline.Token).ConfigureAwait(false);
        Console.WriteLine("READY");

        using (deadline.Token.Register(() => done.TrySetCanceled()))
        {
            try
            {
                await done.Task.ConfigureAwait(false);
            }
            catch (TaskCanceledException)
            {
                await Console.Error.WriteLineAsync($"receive: timed out after {timeoutSeconds} s with {received} of {count} messages").ConfigureAwait(false);
                Console.WriteLine(string.Create(Invariant, $"RESULT {{\"count\":{received}}}"));
                return 3;
            }
        }

        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false);
        if (mode == "latency")
        {
            Array.Sort(latencies);
            Console.WriteLine(string.Create(Invariant,
                $"RESULT {{\"count\":{received},\"p50Ms\":{Percentile(latencies, 0.50):0.###},\"p99Ms\":{Percentile(latencies, 0.99):0.###},\"maxMs\":{latencies[^1]:0.###}}}"));
        }
        else
        {
            var perSecond = (count - 1) / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
            Console.WriteLine(string.Create(Invariant,
                $"RESULT {{\"count\":{received},\"elapsedMs\":{watch.Elapsed.TotalMilliseconds:0.###},\"perSecond\":{perSecond:0.#}}}"));
        }

        return 0;
    }

    private static int Pace(string[] args)
    {
        var count = int.Parse(args[1], Invariant);
        var perSecond = double.Parse(args[2], Invariant);
        var startDelay = int.Parse(args[3], Invariant);
        var start = new ProcessStartInfo(args[4])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        foreach (var argument in args.Skip(5))
        {
            start.ArgumentList.Add(argument);
        }

        using var program = Process.Start(start) ?? throw new InvalidOperationException($"could not start {args[4]}");
        var input = program.StandardInput;
        input.AutoFlush = false;
        NowMicroseconds().ToString(Invariant); // JIT the per-line path before the clock starts.
        Thread.Sleep(startDelay);

        // A fixed schedule (not "sleep 1 ms after each"): a late line does not push the later ones back.
        var interval = Stopwatch.Frequency / perSecond;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = (long)(i * interval);
            while (true)
            {
                var ahead = (due - clock.ElapsedTicks) * 1000.0 / Stopwatch.Frequency;
                if (ahead <= 0)
                {
                    break;
                }

                if (ahead > 1.2)
                {
                    Thread.Sleep(1);
                }
                else
                {
                    Thread.Yield();
                }
            }

            input.Write(NowMicroseconds().ToString(Invariant));
            input.Write('\n');
            input.Flush();
        }

        var seconds = clock.Elapsed.TotalSeconds;
        input.Close();
        if (!program.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            program.Kill();
            Console.Error.WriteLine($"pace: {args[4]} did not exit within 60 s of the last line");
            return 4;
        }

        Console.WriteLine(string.Create(Invariant, $"RESULT {{\"sent\":{count},\"seconds\":{seconds:0.###},\"perSecond\":{count / seconds:0.#}}}"));
        return program.ExitCode;
    }

    private static long NowMicroseconds() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private static double Percentile(double[] sorted, double fraction)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(fraction * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
