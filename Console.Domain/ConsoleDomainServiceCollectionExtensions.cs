using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain;

/// <summary>Registers the domain: database, services, start-up upgrade.</summary>
public static class ConsoleDomainServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ConsoleDbContext"/> (SQLite at <see cref="ConsoleOptions.DatabasePath"/>, one context
    /// per operation through <c>IDbContextFactory</c>), the dataset services, and the start-up step that
    /// creates or upgrades the database, and the background storage sweep (<see cref="StorageSweeper"/>, which needs
    /// the <see cref="Imaging.IImageStore"/> when it first runs). <see cref="Imaging.IImageStore"/> is registered by the imaging extension.
    /// </summary>
    public static IServiceCollection AddConsoleDomain(this IServiceCollection services, ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddConsoleDomain(_ => options);
    }

    /// <summary>
    /// As <see cref="AddConsoleDomain(IServiceCollection, ConsoleOptions)"/>, with the options made when first
    /// needed (for example from configuration that a test host adds after the services are declared).
    /// </summary>
    public static IServiceCollection AddConsoleDomain(this IServiceCollection services, Func<IServiceProvider, ConsoleOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddDbContextFactory<ConsoleDbContext>((provider, builder) =>
        {
            var resolved = provider.GetRequiredService<ConsoleOptions>();
            ConsoleDatabase.Configure(builder, resolved.DatabasePath, resolved.BusyTimeout);
        });
        services.AddSingleton<ConsoleDatabase>();
        services.AddSingleton<Accounts.ApiKeyService>();
        services.AddSingleton<Accounts.ProjectAccessService>();
        services.AddHostedService<DatabaseStartup>();
        services.AddSingleton<StorageSweepSignal>();
        services.AddSingleton<StorageSweeper>();
        services.AddHostedService<StorageSweepService>();
        services.AddSingleton<IntegrityCheck>();
        services.AddHostedService<IntegrityCheckService>();
        services.AddSingleton<IDatasetChangeNotifier, DatasetChangeNotifier>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton<IDatasetService>(provider => provider.GetRequiredService<DatasetService>());
        services.AddSingleton<IDatasetEdits>(provider => provider.GetRequiredService<DatasetService>());
        services.AddSingleton<LabelingQueue>();
        services.AddSingleton<DatasetPresence>();
        services.AddSingleton<LabelSuggestions>();
        services.AddSingleton<Auditing.AuditTrail>();
        services.AddSingleton<IImageIntake, ImageIntake>();
        services.AddSingleton<IBoxLabeling, BoxLabelingService>();
        services.AddSingleton<DatasetHealthService>();
        services.AddTransient<Import.ImportJob>();
        services.AddTransient<Export.ExportJob>();
        services.TryAddSingleton<Operations.IOperationNotifier, Operations.OperationNotifier>();
        services.AddSingleton<Operations.OperationStore>();
        services.AddSingleton<Operations.IOperationService, Operations.OperationService>();
        services.AddSingleton<Operations.DataOperationService>();
        // Model exports need the trainer's IModelService and its job (ModelExportOperationJob), registered by AddTrainer.
        services.AddSingleton<Models.ModelExportService>();
        // Batch predictions run the trainer's predictors (BatchPredictionJob, registered by AddTrainer).
        services.AddSingleton<Models.BatchPredictionService>();
        services.AddSingleton<Hosting.HostedModelService>();
        services.AddSingleton<Hosting.IHostedModels>(provider => provider.GetRequiredService<Hosting.HostedModelService>());
        services.AddTransient<Operations.IOperationJob, Operations.ImportOperationJob>();
        services.AddTransient<Operations.IOperationJob, Operations.ExportOperationJob>();
        services.AddSingleton<Storage.BackupService>();
        services.AddTransient<Operations.IOperationJob, Storage.BackupOperationJob>();
        return services;
    }
}
