using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Projects;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Domain.Storage;

/// <summary>
/// The console's database. Open one per operation through <c>IDbContextFactory&lt;ConsoleDbContext&gt;</c>.
/// The schema is created and upgraded by the migrations in <c>Storage/Migrations</c> (the first four hand-written,
/// later ones generated with <c>dotnet ef migrations add</c>); a change here needs a new migration there (a test compares both).
/// </summary>
public sealed class ConsoleDbContext(DbContextOptions<ConsoleDbContext> options) : IdentityUserContext<ConsoleUser>(options)
{
    public DbSet<Project> Projects => Set<Project>();

    public DbSet<Dataset> Datasets => Set<Dataset>();

    public DbSet<Label> Labels => Set<Label>();

    public DbSet<Image> Images => Set<Image>();

    public DbSet<ImageLabel> ImageLabels => Set<ImageLabel>();

    public DbSet<Box> Boxes => Set<Box>();

    public DbSet<Operation> Operations => Set<Operation>();

    public DbSet<Model> Models => Set<Model>();

    public DbSet<ModelVersion> ModelVersions => Set<ModelVersion>();

    public DbSet<Evaluation> Evaluations => Set<Evaluation>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<Hosting.HostedModel> HostedModels => Set<Hosting.HostedModel>();

    public DbSet<ProjectMember> ProjectMembers => Set<ProjectMember>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<ImageLease> ImageLeases => Set<ImageLease>();

    /// <inheritdoc />
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare or order DateTimeOffset stored as text; UTC ticks in an INTEGER can, exactly.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Identity's tables (AspNetUsers, its claims, logins and tokens).
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<ConsoleUser>(e => e.Property(u => u.UserName).HasMaxLength(ConsoleUser.MaxUserNameLength));

        modelBuilder.Entity<ProjectMember>(e =>
        {
            e.ToTable("ProjectMembers");
            e.HasKey(m => new { m.ProjectId, m.UserId });
            e.Property(m => m.Role).HasConversion<string>().HasMaxLength(16);
            e.HasOne<Project>().WithMany().HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<ConsoleUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ApiKey>(e =>
        {
            e.ToTable("ApiKeys");
            e.Property(k => k.Name).HasMaxLength(ApiKey.MaxNameLength);
            e.Property(k => k.Prefix).HasMaxLength(16);
            e.Property(k => k.Hash).HasMaxLength(64);
            e.HasIndex(k => k.Hash).IsUnique();
            e.Property(k => k.Role).HasConversion<string>().HasMaxLength(16);
            e.Property(k => k.CreatedBy).HasMaxLength(ConsoleUser.MaxUserNameLength);
            e.Property(k => k.RevokedBy).HasMaxLength(ConsoleUser.MaxUserNameLength);
            e.HasOne<Project>().WithMany().HasForeignKey(k => k.ProjectId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<ConsoleUser>().WithMany().HasForeignKey(k => k.CreatedByUserId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<Project>(e =>
        {
            e.ToTable("Projects");
            e.Property(p => p.Name).HasMaxLength(63);
            e.HasIndex(p => p.Name).IsUnique();
        });

        modelBuilder.Entity<Dataset>(e =>
        {
            e.ToTable("Datasets");
            e.Property(d => d.DisplayName).HasMaxLength(Dataset.MaxDisplayNameLength);
            e.Property(d => d.Kind).HasConversion<string>().HasMaxLength(32);
            e.HasOne<Project>().WithMany().HasForeignKey(d => d.ProjectId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(d => d.Labels).WithOne(l => l.Dataset).HasForeignKey(l => l.DatasetId).OnDelete(DeleteBehavior.Cascade);
            e.Navigation(d => d.Labels).HasField("_labels");
        });

        modelBuilder.Entity<Label>(e =>
        {
            e.ToTable("Labels");
            e.Property(l => l.Name).HasMaxLength(LabelName.MaxLength);
            e.Property(l => l.NormalizedName).HasMaxLength(LabelName.MaxLength);
            e.HasIndex(l => new { l.DatasetId, l.NormalizedName }).IsUnique();
        });

        modelBuilder.Entity<Image>(e =>
        {
            e.ToTable("Images");
            e.Property(i => i.Sha256).HasMaxLength(64);
            e.Property(i => i.Format).HasConversion<string>().HasMaxLength(16);
            e.Property(i => i.Split).HasConversion<string>().HasMaxLength(16);
            e.Property(i => i.Version).IsConcurrencyToken();
            e.HasOne<Dataset>().WithMany().HasForeignKey(i => i.DatasetId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(i => i.Labels).WithOne(l => l.Image).HasForeignKey(l => l.ImageId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(i => i.Boxes).WithOne(b => b.Image).HasForeignKey(b => b.ImageId).OnDelete(DeleteBehavior.Cascade);
            e.Navigation(i => i.Labels).HasField("_labels");
            e.Navigation(i => i.Boxes).HasField("_boxes");
            e.Ignore(i => i.EffectiveSplit);
            e.Ignore(i => i.IsDeleted);
            e.Ignore(i => i.BoxState);
            e.Ignore(i => i.HasLabels);
            e.Property(i => i.ReviewState).HasConversion<string>().HasMaxLength(16);
            e.Property(i => i.ReviewComment).HasMaxLength(Image.MaxReviewCommentLength);
            e.HasIndex(i => new { i.DatasetId, i.ReviewState });
            e.Property(i => i.DeletionBatch).HasMaxLength(36);
            // A deleted image stays (with its labels and boxes) until its delete is undone or purged, seen by nothing else.
            e.HasQueryFilter(i => i.DeletedAt == null);
            // The same bytes may come back while the deleted copy still waits for an undo.
            e.HasIndex(i => new { i.DatasetId, i.Sha256 }).IsUnique().HasFilter("\"DeletedAt\" IS NULL");
            e.HasIndex(i => new { i.DatasetId, i.DeletionBatch });
            e.HasIndex(i => new { i.DatasetId, i.Split });
            e.HasIndex(i => i.Sha256);
        });

        modelBuilder.Entity<ImageLease>(e =>
        {
            e.ToTable("ImageLeases");
            // One holder per image: the primary key is what makes two labelers unable to take the same image.
            e.HasKey(l => l.ImageId);
            e.HasOne<Image>().WithOne().HasForeignKey<ImageLease>(l => l.ImageId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(l => new { l.DatasetId, l.Holder });
        });

        modelBuilder.Entity<ImageLabel>(e =>
        {
            e.ToTable("ImageLabels");
            e.HasKey(il => new { il.ImageId, il.LabelId });
            e.HasQueryFilter(il => il.Image!.DeletedAt == null);
            e.HasOne(il => il.Label).WithMany().HasForeignKey(il => il.LabelId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(il => il.LabelId);
        });

        modelBuilder.Entity<Box>(e =>
        {
            e.ToTable("Boxes");
            e.Property(b => b.Version).IsConcurrencyToken();
            e.HasQueryFilter(b => b.Image!.DeletedAt == null);
            e.HasOne(b => b.Label).WithMany().HasForeignKey(b => b.LabelId).OnDelete(DeleteBehavior.Cascade);
            e.Ignore(b => b.Rect);
            e.HasIndex(b => b.LabelId);
        });

        modelBuilder.Entity<Operation>(e =>
        {
            e.ToTable("Operations");
            e.Property(o => o.Kind).HasMaxLength(64);
            e.Property(o => o.State).HasConversion<string>().HasMaxLength(16);
            e.Property(o => o.Version).IsConcurrencyToken();
            e.Ignore(o => o.IsFinished);
            e.Ignore(o => o.KindInfo);
            e.HasOne<Dataset>().WithMany().HasForeignKey(o => o.DatasetId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(o => o.State);
            e.HasIndex(o => o.DatasetId);
            e.HasIndex(o => o.Kind);
        });

        modelBuilder.Entity<Model>(e =>
        {
            e.ToTable("Models");
            e.Property(m => m.DisplayName).HasMaxLength(128);
            e.Property(m => m.Kind).HasConversion<string>().HasMaxLength(32);
            e.Ignore(m => m.Labels);
            e.HasOne<Project>().WithMany().HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
            // A published model outlives the dataset it was trained from.
            e.HasOne<Dataset>().WithMany().HasForeignKey(m => m.DatasetId).OnDelete(DeleteBehavior.SetNull);
            e.HasMany(m => m.Versions).WithOne(v => v.Model).HasForeignKey(v => v.ModelId).OnDelete(DeleteBehavior.Cascade);
            e.Navigation(m => m.Versions).HasField("_versions");
            e.HasIndex(m => m.DatasetId);
            e.HasIndex(m => m.ProjectId);
        });

        modelBuilder.Entity<ModelVersion>(e =>
        {
            e.ToTable("ModelVersions");
            e.Property(v => v.ModelType).HasMaxLength(64);
            e.Ignore(v => v.TagList);
            e.HasIndex(v => new { v.ModelId, v.Number }).IsUnique();
        });

        modelBuilder.Entity<Evaluation>(e =>
        {
            e.ToTable("Evaluations");
            e.HasOne<ModelVersion>().WithMany().HasForeignKey(ev => ev.ModelVersionId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(ev => ev.ModelVersionId).IsUnique();
        });

        modelBuilder.Entity<Hosting.HostedModel>(e =>
        {
            e.ToTable("HostedModels");
            e.Property(m => m.DisplayName).HasMaxLength(32);
            e.Property(m => m.UpdatedAt).IsConcurrencyToken();
            e.Ignore(m => m.Tags);
            e.Ignore(m => m.Active);
            e.HasIndex(m => m.DisplayName).IsUnique();
            e.HasOne<Project>().WithMany().HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(m => m.Versions).WithOne().HasForeignKey(v => v.HostedModelId).OnDelete(DeleteBehavior.Cascade);
            e.Navigation(m => m.Versions).HasField("_versions");
        });

        modelBuilder.Entity<Hosting.HostedModelVersion>(e =>
        {
            e.ToTable("HostedModelVersions");
            e.Property(v => v.ModelHash).HasMaxLength(64);
            e.HasIndex(v => new { v.HostedModelId, v.Number }).IsUnique();
        });

        modelBuilder.Entity<AuditEvent>(e =>
        {
            e.ToTable("AuditEvents");
            e.Property(a => a.EntityType).HasMaxLength(32);
            e.Property(a => a.Action).HasMaxLength(32);
            e.HasIndex(a => new { a.EntityType, a.EntityId });
            e.HasIndex(a => a.At);
        });
    }
}

/// <summary>Stores a <see cref="DateTimeOffset"/> as its UTC ticks; it reads back in UTC, to the tick.</summary>
internal sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
