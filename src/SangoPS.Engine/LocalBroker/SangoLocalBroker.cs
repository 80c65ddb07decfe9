using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using MQTTnet.Server;

namespace SangoPS.LocalBroker;

/// <summary>
/// An MQTT broker inside the PowerShell process (MQTTnet.Server), bound to loopback on a free port. It exists
/// for the demo and quick experiments with nothing installed; the tests of cmdlet behaviour use mosquitto.
/// With TLS it also serves an encrypted endpoint whose certificate comes from a throwaway CA made in-process,
/// whose certificate is written to <see cref="CaFile"/> for Connect-Sango -CaFile.
/// </summary>
public sealed class SangoLocalBroker : IDisposable
{
    private readonly MqttServer _server;
    private readonly LocalBrokerCertificates? _certificates;
    private int _caFileDeleted;

    private SangoLocalBroker(MqttServer server, int port, int? tlsPort, LocalBrokerCertificates? certificates, string? caFile)
    {
        _server = server;
        _certificates = certificates;
        Port = port;
        TlsPort = tlsPort;
        CaFile = caFile;
        CertificateSubject = certificates?.ServerCertificate.Subject;
        StartedAt = DateTime.Now;
    }

    public int Port { get; }

    public string Endpoint => $"mqtt://127.0.0.1:{Port}";

    /// <summary>The port of the TLS endpoint, or null when the broker was started without TLS.</summary>
    public int? TlsPort { get; }

    /// <summary>
    /// The TLS endpoint, or null. It names localhost rather than 127.0.0.1 so the host name check is the one a
    /// real broker gets (the certificate also lists localhost and 127.0.0.1; *.sango.test needs -TlsServerName).
    /// </summary>
    public string? TlsEndpoint => TlsPort is { } port ? string.Create(CultureInfo.InvariantCulture, $"mqtts://localhost:{port}") : null;

    /// <summary>The PEM file holding the throwaway CA's certificate, for -CaFile; deleted when the broker stops.</summary>
    public string? CaFile { get; }

    /// <summary>The subject of the TLS endpoint's certificate, or null without TLS.</summary>
    public string? CertificateSubject { get; }

    public DateTime StartedAt { get; }

    public bool IsRunning => _server.IsStarted;

    public static Task<SangoLocalBroker> StartAsync(int port, CancellationToken cancellationToken) =>
        StartAsync(port, tls: false, cancellationToken);

    /// <summary>
    /// Starts the broker on <paramref name="port"/> (0 picks a free one); with <paramref name="tls"/> it also opens a
    /// TLS endpoint on another free loopback port.
    /// </summary>
    public static async Task<SangoLocalBroker> StartAsync(int port, bool tls, CancellationToken cancellationToken)
    {
        var free = FindFreePorts((port == 0 ? 1 : 0) + (tls ? 1 : 0), port);
        var chosen = port == 0 ? free[0] : port;
        int? tlsPort = tls ? free[^1] : null;

        var factory = new MqttServerFactory();
        var builder = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(chosen);

        LocalBrokerCertificates? certificates = null;
        string? caFile = null;
        MqttServer? server = null;
        try
        {
            if (tlsPort is { } encryptedPort)
            {
                certificates = LocalBrokerCertificates.Create();
                builder
                    .WithEncryptedEndpoint()
                    .WithEncryptedEndpointBoundIPAddress(IPAddress.Loopback)
                    .WithEncryptedEndpointBoundIPV6Address(IPAddress.None)
                    .WithEncryptedEndpointPort(encryptedPort)
                    .WithEncryptionCertificate(certificates.ServerCertificate)
                    .WithEncryptionSslProtocol(SslProtocols.Tls12 | SslProtocols.Tls13);
                caFile = certificates.WriteCaFile();
            }

            server = factory.CreateMqttServer(builder.Build());
            await server.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return new SangoLocalBroker(server, chosen, tlsPort, certificates, caFile);
        }
        catch
        {
            // A half-started broker must not keep a port, a key or a temp file.
            if (server is not null)
            {
                await StopQuietlyAsync(server).ConfigureAwait(false);
                server.Dispose();
            }

            certificates?.Dispose();
            DeleteQuietly(caFile);
            throw;
        }
    }

    public async Task StopAsync()
    {
        if (_server.IsStarted)
        {
            await _server.StopAsync().ConfigureAwait(false);
        }

        DeleteCaFile();
    }

    public void Dispose()
    {
        _server.Dispose();
        _certificates?.Dispose();
        DeleteCaFile();
    }

    public override string ToString() =>
        TlsEndpoint is null ? $"SangoPS local broker at {Endpoint}" : $"SangoPS local broker at {Endpoint} and {TlsEndpoint}";

    private void DeleteCaFile()
    {
        if (Interlocked.Exchange(ref _caFileDeleted, 1) == 0)
        {
            DeleteQuietly(CaFile);
        }
    }

    private static void DeleteQuietly(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A CA certificate without its key is public data: a leftover file in the temp folder does no harm.
        }
    }

    private static async Task StopQuietlyAsync(MqttServer server)
    {
        try
        {
            await server.StopAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is InvalidOperationException or SocketException or ObjectDisposedException)
        {
            // Already failing to start: the first error is the one to report.
        }
    }

    /// <summary>
    /// Free loopback ports, all different and none equal to <paramref name="taken"/>: the listeners stay open
    /// together so the OS cannot hand out the same port twice.
    /// </summary>
    private static int[] FindFreePorts(int count, int taken)
    {
        var listeners = new List<TcpListener>();
        try
        {
            var ports = new List<int>();
            while (ports.Count < count)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listeners.Add(listener);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (port != taken)
                {
                    ports.Add(port);
                }
            }

            return [.. ports];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
                listener.Dispose();
            }
        }
    }
}
