using System.Text;
using SangoPS.Sessions;
using SangoPS.Spool;
using Xunit;

namespace SangoPS.Engine.Tests.Spool;

public sealed class MessageSpoolTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "sangops-spool-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }

    private static string Text(SpoolEntry e) => Encoding.UTF8.GetString(e.Payload);

    [Fact]
    public void Messages_come_back_in_the_order_they_were_spooled_with_every_field()
    {
        var spool = new MessageSpool(_path);
        for (var i = 0; i < 50; i++)
        {
            spool.Write("t/" + i, Encoding.UTF8.GetBytes("m" + i), 1 + (i % 2), i == 3, "id" + i);
        }

        var info = spool.GetInfo();
        Assert.Equal(50, info.Count);
        Assert.True(info.Bytes > 50 * 2);
        Assert.NotNull(info.Oldest);

        var entries = spool.ClaimAll(new SessionLog());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => "m" + i), entries.Select(Text));
        Assert.Equal("t/3", entries[3].Topic);
        Assert.True(entries[3].Retain);
        Assert.Equal(2, entries[1].QoS);
        Assert.Equal("id7", entries[7].MessageId);
        Assert.Equal(0, spool.GetInfo().Count); // claimed entries are no longer waiting
    }

    [Fact]
    public void Completed_entries_are_gone_and_released_ones_wait_again()
    {
        var spool = new MessageSpool(_path);
        spool.Write("t", [1], 1, false, null);
        spool.Write("t", [2], 1, false, null);
        var entries = spool.ClaimAll(new SessionLog());
        MessageSpool.Complete(entries[0]);
        MessageSpool.Release(entries[1]);

        var again = spool.ClaimAll(new SessionLog());
        Assert.Single(again);
        Assert.Equal([2], again[0].Payload);
    }

    [Fact]
    public void A_second_claim_finds_nothing_so_no_entry_is_sent_twice()
    {
        var spool = new MessageSpool(_path);
        spool.Write("t", [1], 1, false, null);
        var other = new MessageSpool(_path);
        Assert.Single(spool.ClaimAll(new SessionLog()));
        Assert.Empty(other.ClaimAll(new SessionLog()));
    }

    [Fact]
    public void A_claim_of_a_process_that_died_is_released()
    {
        var spool = new MessageSpool(_path);
        spool.Write("t", [9], 1, false, null);
        var file = Directory.GetFiles(_path, "*.sgm").Single();

        // Process ids are below 2^22 on Linux and far below int.MaxValue on Windows: this one is not running.
        File.Move(file, file + ".claimed-2147483000");
        var entries = spool.ClaimAll(new SessionLog());
        Assert.Single(entries);
        Assert.Equal([9], entries[0].Payload);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("bad-header")]
    public void A_corrupt_file_is_set_aside_and_reported_while_the_rest_are_sent(string damage)
    {
        var spool = new MessageSpool(_path);
        spool.Write("t", Encoding.UTF8.GetBytes("first"), 1, false, null);
        spool.Write("t", Encoding.UTF8.GetBytes("second"), 1, false, null);
        var first = Directory.GetFiles(_path, "*.sgm").Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(first);
        File.WriteAllBytes(first, damage switch
        {
            "truncated" => bytes[..^2],
            "garbage" => Encoding.UTF8.GetBytes("not a spool file"),
            _ => Encoding.UTF8.GetBytes("SANGOSPOOL 1\n{not json\nfirst"),
        });

        var log = new SessionLog();
        var entries = spool.ClaimAll(log);
        Assert.Equal(["second"], entries.Select(Text));
        var warning = log.Drain().First();
        Assert.Equal(SessionLogLevel.Warning, warning.Level);
        Assert.Contains("cannot be sent", warning.Text, StringComparison.Ordinal);
        Assert.Equal(1, spool.GetInfo().Corrupt);
    }

    [Fact]
    public void Half_written_temporary_files_are_never_read()
    {
        var spool = new MessageSpool(_path);
        File.WriteAllText(Path.Combine(_path, ".0000-partial.sgm.tmp"), "SANGOSPOOL 1\n");
        Assert.Empty(spool.ClaimAll(new SessionLog()));
        Assert.Equal(0, spool.GetInfo().Count);
    }

    [Fact]
    public void A_spool_folder_SangoPS_creates_and_its_files_are_readable_by_the_user_alone()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // The Windows ACL is reviewed, not run here: no Windows machine in this environment.
        }

        var nested = Path.Combine(_path, "a", "spool");
        var spool = new MessageSpool(nested);
        spool.Write("t", Encoding.UTF8.GetBytes("secret"), 1, false, null);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(nested));
        var file = Assert.Single(Directory.GetFiles(nested, "*.sgm"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void A_folder_that_exists_keeps_the_mode_its_owner_gave_it()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Directory.CreateDirectory(_path);
        var shared = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        File.SetUnixFileMode(_path, shared);

        _ = new MessageSpool(_path);

        Assert.Equal(shared, File.GetUnixFileMode(_path));
    }

    [Fact]
    public async Task A_FIFO_among_the_spool_files_is_skipped_with_a_warning_and_never_opened()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var spool = new MessageSpool(_path);
        spool.Write("t/ok", Encoding.UTF8.GetBytes("kept"), 1, false, null);
        var fifo = Path.Combine(_path, "0000000000000000001-0000001-0000000001.sgm");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var log = new SessionLog();
        var claiming = Task.Run(() => spool.ClaimAll(log));

        var claimed = await claiming.WaitAsync(TimeSpan.FromSeconds(10)); // a TimeoutException: ClaimAll blocked on the FIFO
        Assert.Equal(["kept"], claimed.Select(Text));
        Assert.Contains(log.Drain(), e => e.Level == SessionLogLevel.Warning && e.Text.Contains("not a regular file", StringComparison.Ordinal));
        Assert.True(File.Exists(fifo));
    }
}
