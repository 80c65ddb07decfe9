using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace SangoPS.Commands;

/// <summary>
/// From import on, a request for the library assembly is answered from SangoPS's own load context, where
/// MQTTnet is loaded too. Another module that loaded a different MQTTnet into PowerShell's default context
/// therefore cannot break SangoPS, nor SangoPS break it. PowerShell calls <see cref="OnImport"/> when it imports
/// SangoPS.dll (the manifest's RootModule), before the cmdlets are registered or run.
/// </summary>
public sealed class SangoModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string EngineAssemblyName = "SangoPS.Engine";

    private static readonly SangoLoadContext LoadContext = new(ChooseDependencyDirectory(
        Path.Combine(Path.GetDirectoryName(typeof(SangoModuleInitializer).Assembly.Location)!, "Dependencies"),
        Environment.Version.Major,
        RuntimeInformation.RuntimeIdentifier));

    /// <summary>
    /// Dependencies/ holds the library and MQTTnet built for .NET 8 (PowerShell 7.4 and 7.5). On .NET 10 and later
    /// (PowerShell 7.6) a copy built for .NET 10 and precompiled ReadyToRun for this platform is used when the
    /// module ships one (Dependencies/net10.0/&lt;runtime id&gt;/): .NET 10 ignores ReadyToRun code compiled against
    /// .NET 8, and JIT-compiling the library at first use is most of what a short scheduled task pays for SangoPS.
    /// A runtime id without a folder (another platform, a distribution's own .NET build) uses the portable copy.
    /// </summary>
    internal static string ChooseDependencyDirectory(string dependencies, int runtimeMajorVersion, string runtimeIdentifier)
    {
        if (runtimeMajorVersion >= 10)
        {
            var precompiled = Path.Combine(dependencies, "net10.0", runtimeIdentifier);
            if (File.Exists(Path.Combine(precompiled, EngineAssemblyName + ".dll")))
            {
                return precompiled;
            }
        }

        return dependencies;
    }

    private static int s_registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += ResolveEngine;
        }
    }

    /// <summary>
    /// Called by PowerShell when it imports SangoPS.dll, after it has listed the assembly's types and before it
    /// registers the cmdlets. Nothing before this point may need the library: a public type of this assembly
    /// whose layout involves a library type (a field of a library enum or struct) would make the runtime look for
    /// SangoPS.Engine in the default context while the types are listed, before the resolver is installed.
    /// </summary>
    public void OnImport()
    {
        Register();
        RegisterTypeAccelerators();
    }

    /// <summary>
    /// Types in another load context are invisible to PowerShell's type literals, so each public library type is
    /// also registered under its full name: [SangoPS.Sessions.SangoSession] and -is tests keep working.
    /// A method of its own, compiled only after <see cref="Register"/> ran: it names a library type.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RegisterTypeAccelerators()
    {
        var accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
        var add = accelerators?.GetMethod("Add", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(Type)]);
        if (add is null)
        {
            return;
        }

        foreach (var type in typeof(Sessions.SangoSession).Assembly.GetExportedTypes())
        {
            add.Invoke(null, [type.FullName, type]);
        }
    }

    /// <summary>
    /// Called by PowerShell when SangoPS is removed from a runspace (Remove-Module): that runspace's sessions are
    /// disposed, as when the runspace closes, so none is left connected with no cmdlet to reach it.
    /// </summary>
    public void OnRemove(PSModuleInfo psModuleInfo) =>
        SessionRegistry.DisposeAll(System.Management.Automation.Runspaces.Runspace.DefaultRunspace);

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name) =>
        string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal)
            ? LoadContext.LoadFromAssemblyName(name)
            : null;
}
