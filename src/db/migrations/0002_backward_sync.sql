ALTER TABLE "cloud_items" ADD COLUMN "scan_etag" text;--> statement-breakpoint
ALTER TABLE "settings" ADD COLUMN "deletions_held" jsonb;--> statement-breakpoint
ALTER TABLE "settings" ADD COLUMN "deletions_acknowledged_at" timestamp with time zone;