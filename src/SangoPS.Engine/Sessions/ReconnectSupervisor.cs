using System.Diagnostics;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Transport;

namespace SangoPS.Sessions;

/// <summary>
/// Brings a session's connection back after it was lost (or when no endpoint answered a Connect-Sango that has a
/// spool): rounds over the endpoints, the first starting after the lost one, with capped exponential back-off
/// between rounds, until one accepts or the session closes. One supervisor runs at a time per session.
/// </summary>
internal sealed class ReconnectSupervisor
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After a round in which an endpoint refused the password or its certificate was refused: such a refusal does
    /// not go away by retrying, and retrying every few seconds locks accounts (and floods the broker's log).
    /// </summary>
    public static readonly TimeSpan RefusedDelay = TimeSpan.FromMinutes(5);

    private readonly string _sessionName;
    private readonly IReadOnlyList<SangoEndpoint> _order;
    private readonly IReconnectTarget _target;
    private readonly SessionLog _log;
    private int _running;
    private int _failoverCount;

    public ReconnectSupervisor(string sessionName, IReadOnlyList<SangoEndpoint> order, IReconnectTarget target, SessionLog log)
    {
        _sessionName = sessionName;
        _order = order;
        _target = target;
        _log = log;
    }

    /// <summary>True from <see cref="TryClaim"/> until a connection is installed (<see cref="MarkConnected"/>).</summary>
    public bool IsRunning => Volatile.Read(ref _running) != 0;

    /// <summary>How many times a lost connection was replaced (by the same endpoint or another).</summary>
    public int FailoverCount => Volatile.Read(ref _failoverCount);

    /// <summary>Claims the right to run; false when a supervisor already runs.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _running, 1) == 0;

    public void MarkConnected() => Interlocked.Exchange(ref _running, 0);

    /// <summary>Runs the rounds in the background; call after a successful <see cref="TryClaim"/>.</summary>
    public void Start(ConnectedClient? lost, CancellationToken lifetime) => _ = Task.Run(() => RunAsync(lost, lifetime), CancellationToken.None);

    /// <summary>Delay before the next round: 100 ms, doubling, at most 5 s.</summary>
    public static TimeSpan DelayAfterRound(int round) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, FirstDelay.TotalMilliseconds * Math.Pow(2, round)));

    private async Task RunAsync(ConnectedClient? lost, CancellationToken token)
    {
        var start = lost is null ? 0 : (_order.ToList().FindIndex(e => e.Equals(lost.Endpoint)) + 1) % _order.Count;
        var watch = Stopwatch.StartNew();
        try
        {
            for (var round = 0; !token.IsCancellationRequested; round++)
            {
                EndpointAttemptFailure? refused = null;
                for (var i = 0; i < _order.Count; i++)
                {
                    var endpoint = _order[(start + i) % _order.Count];
                    var (connected, failure) = await _target.TryConnectAsync(endpoint, token).ConfigureAwait(false);
                    if (connected is not null)
                    {
                        var how = lost is null ? "connected to" : lost.Endpoint.Equals(endpoint) ? "reconnected to" : $"failed over from {lost.Endpoint} to";
                        if (lost is not null)
                        {
                            Interlocked.Increment(ref _failoverCount);
                        }

                        _log.Warning($"Session '{_sessionName}' {how} {endpoint} after {watch.ElapsedMilliseconds:N0} ms.");
                        await _target.OnReconnectedAsync(token).ConfigureAwait(false);
                        return;
                    }

                    if (failure is null)
                    {
                        return; // The session is closing.
                    }

                    _target.OnAttemptFailed(endpoint, failure);
                    _log.Verbose($"Reconnect to {endpoint} failed: {failure.Reason}");
                    if (failure.ErrorId is SangoErrorIds.AuthenticationFailed or SangoErrorIds.CertificateValidationFailed)
                    {
                        refused ??= failure;
                    }
                }

                var delay = refused is null ? DelayAfterRound(round) : RefusedDelay;
                if (refused is not null)
                {
                    var what = refused.ErrorId == SangoErrorIds.AuthenticationFailed ? "refused the credentials" : "presented a certificate that was refused";
                    _log.Warning($"Session '{_sessionName}': {refused.Endpoint} {what} when reconnecting ({refused.Reason}) The session tries again only every {RefusedDelay.TotalMinutes:0} minutes, so that the account is not locked; fix the cause and run Connect-Sango again.");
                }

                _log.Verbose($"No endpoint of session '{_sessionName}' answered; trying again in {delay.TotalSeconds:0.0} s.");
                await Task.Delay(delay, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The session closed while reconnecting.
        }
        catch (ObjectDisposedException)
        {
            // Disposed while reconnecting.
        }
    }
}
