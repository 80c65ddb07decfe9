using System.Security.AccessControl;
using System.Security.Principal;

namespace SangoPS.Spool;

/// <summary>
/// Creates the spool's folder and files so that only their owner can read them: spooled payloads are telemetry in
/// clear. On Linux and macOS the folder is 0700 and each file 0600; on Windows the folder gets its own ACL (the
/// user, SYSTEM and Administrators; inheritance from the parent removed) that its files inherit. A folder that
/// already exists is left as its owner set it.
/// </summary>
internal static class PrivateFolder
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Create(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            CreateWithWindowsAcl(path);
        }
        else
        {
            // Parents that do not exist yet are created with the same mode.
            Directory.CreateDirectory(path, OwnerOnlyFolder);
        }
    }

    /// <summary>A new file (it must not exist) for writing, readable by its owner alone.</summary>
    public static FileStream CreateFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        return new FileStream(path, options);
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static void CreateWithWindowsAcl(string path)
    {
        var security = new DirectorySecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        const InheritanceFlags Inherit = InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit;
        using var user = WindowsIdentity.GetCurrent();
        foreach (var who in new IdentityReference[]
                 {
                     user.User!,
                     new SecurityIdentifier(WellKnownSidType.LocalSystemSid, null),
                     new SecurityIdentifier(WellKnownSidType.BuiltinAdministratorsSid, null),
                 })
        {
            security.AddAccessRule(new FileSystemAccessRule(who, FileSystemRights.FullControl, Inherit, PropagationFlags.None, AccessControlType.Allow));
        }

        // Parents first, with the inherited rights of theirs; only the spool folder itself gets the private ACL.
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path));
        if (!string.IsNullOrEmpty(parent))
        {
            Directory.CreateDirectory(parent);
        }

        security.SetOwner(user.User!);
        new DirectoryInfo(path).Create(security);
    }
}
