using System.Net;
using System.Net.Sockets;
using MQTTnet.Server;

namespace SangoPS.LocalBroker;

/// <summary>
/// An MQTT broker inside the PowerShell process (MQTTnet.Server), bound to loopback on a free port. It exists
/// for the demo and quick experiments with nothing installed; the tests of cmdlet behaviour use mosquitto.
/// </summary>
public sealed class SangoLocalBroker : IDisposable
{
    private readonly MqttServer _server;

    private SangoLocalBroker(MqttServer server, int port)
    {
        _server = server;
        Port = port;
        StartedAt = DateTime.Now;
    }

    public int Port { get; }

    public string Endpoint => $"mqtt://127.0.0.1:{Port}";

    public DateTime StartedAt { get; }

    public bool IsRunning => _server.IsStarted;

    public static async Task<SangoLocalBroker> StartAsync(int port, CancellationToken cancellationToken)
    {
        var chosen = port == 0 ? FindFreePort() : port;
        var factory = new MqttServerFactory();
        var options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(chosen)
            .Build();
        var server = factory.CreateMqttServer(options);
        await server.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return new SangoLocalBroker(server, chosen);
    }

    public async Task StopAsync()
    {
        if (_server.IsStarted)
        {
            await _server.StopAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => _server.Dispose();

    public override string ToString() => $"SangoPS local broker at {Endpoint}";

    private static int FindFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
