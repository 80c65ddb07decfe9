using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace SangoPS.Commands;

/// <summary>
/// From import on, a request for the library assembly is answered from SangoPS's own load context, where
/// MQTTnet is loaded too. Another module that loaded a different MQTTnet into PowerShell's default context
/// therefore cannot break SangoPS, nor SangoPS break it. PowerShell resolves the cmdlets' parameter types
/// while it imports the assembly, before IModuleAssemblyInitializer.OnImport runs, so the manifest loads
/// SangoPS.dll as a RequiredAssembly and its ScriptsToProcess calls <see cref="Register"/> first.
/// </summary>
public sealed class SangoModuleInitializer : IModuleAssemblyInitializer
{
    private const string EngineAssemblyName = "SangoPS.Engine";

    private static readonly string DependencyDirectory =
        Path.Combine(Path.GetDirectoryName(typeof(SangoModuleInitializer).Assembly.Location)!, "Dependencies");

    private static readonly SangoLoadContext LoadContext = new(DependencyDirectory);

    private static int s_registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += ResolveEngine;
        }
    }

    /// <summary>
    /// Types in another load context are invisible to PowerShell's type literals, so each public library type is
    /// also registered under its full name: [SangoPS.Sessions.SangoSession] and -is tests keep working.
    /// </summary>
    public void OnImport()
    {
        Register();
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

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name) =>
        string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal)
            ? LoadContext.LoadFromAssemblyName(name)
            : null;
}
