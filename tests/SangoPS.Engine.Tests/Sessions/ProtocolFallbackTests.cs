using System.Net;
using System.Net.Sockets;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Sessions;
using Xunit;

namespace SangoPS.Engine.Tests.Sessions;

/// <summary>
/// mosquitto always accepts MQTT 5, so the fallback to 3.1.1 is proven against an in-process broker that
/// refuses 5 the way an old broker does (CONNACK "unsupported protocol version").
/// </summary>
public sealed class ProtocolFallbackTests : IAsyncLifetime
{
    private MqttServer? _server;
    private int _port;
    private readonly List<MqttProtocolVersion> _attempts = new();

    public async Task InitializeAsync()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var factory = new MqttServerFactory();
        var options = factory.CreateServerOptionsBuilder().WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(_port).Build();
        _server = factory.CreateMqttServer(options);
        _server.ValidatingConnectionAsync += args =>
        {
            lock (_attempts)
            {
                _attempts.Add(args.ProtocolVersion);
            }

            if (args.ProtocolVersion == MqttProtocolVersion.V500)
            {
                args.ReasonCode = MqttConnectReasonCode.UnsupportedProtocolVersion;
            }

            return Task.CompletedTask;
        };
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            _server.Dispose();
        }
    }

    private SangoSessionOptions Options(bool allowFallback) =>
        new([SangoEndpoint.Parse($"mqtt://127.0.0.1:{_port}")]) { AllowProtocolFallback = allowFallback, TimeoutSeconds = 5 };

    [Fact]
    public async Task A_broker_that_refuses_v5_is_retried_with_311_and_the_log_says_so()
    {
        using var session = new SangoSession(Options(allowFallback: true));
        await session.ConnectAsync(CancellationToken.None);

        Assert.True(session.IsConnected);
        Assert.Equal("3.1.1", session.ProtocolVersion);
        Assert.Equal([MqttProtocolVersion.V500, MqttProtocolVersion.V311], _attempts);
        var lines = new List<string>();
        lines.AddRange(session.Log.Drain().Select(entry => entry.Text));

        Assert.Contains(lines, l => l.Contains("refused MQTT 5.0; retrying with MQTT 3.1.1", StringComparison.Ordinal));
        await session.DisconnectAsync(CancellationToken.None);
    }

    [Fact]
    public async Task An_explicitly_chosen_v5_is_not_downgraded()
    {
        using var session = new SangoSession(Options(allowFallback: false));
        var error = await Assert.ThrowsAsync<SangoException>(() => session.ConnectAsync(CancellationToken.None));

        Assert.Equal(SangoErrorIds.ConnectRefused, error.ErrorId);
        Assert.Contains("UnsupportedProtocolVersion", error.Message, StringComparison.Ordinal);
        Assert.Equal([MqttProtocolVersion.V500], _attempts);
    }
}
