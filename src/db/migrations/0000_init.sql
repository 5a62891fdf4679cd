CREATE TABLE "cloud_connection" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"url" text NOT NULL,
	"username" text NOT NULL,
	"password_sealed" text NOT NULL,
	"root_folder" text DEFAULT 'Odoo' NOT NULL,
	"public_urls" boolean DEFAULT false NOT NULL,
	"state" text DEFAULT 'draft' NOT NULL,
	"last_error" text,
	"confirmed_at" timestamp with time zone,
	"capabilities" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cloud_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"ref" text NOT NULL,
	"sync_model_id" integer,
	"res_model" text,
	"res_id" integer,
	"attachment_id" integer,
	"path" text NOT NULL,
	"file_id" text,
	"etag" text,
	"size" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erp_attachments" (
	"id" serial PRIMARY KEY NOT NULL,
	"res_model" text NOT NULL,
	"res_id" integer NOT NULL,
	"name" text NOT NULL,
	"type" text DEFAULT 'binary' NOT NULL,
	"url" text,
	"is_folder" boolean DEFAULT false NOT NULL,
	"mimetype" text DEFAULT 'application/octet-stream' NOT NULL,
	"file_size" bigint DEFAULT 0 NOT NULL,
	"checksum" text,
	"store_fname" text,
	"create_date" timestamp with time zone DEFAULT now() NOT NULL,
	"write_date" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erp_records" (
	"id" serial PRIMARY KEY NOT NULL,
	"model" text NOT NULL,
	"name" text NOT NULL,
	"fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"create_date" timestamp with time zone DEFAULT now() NOT NULL,
	"write_date" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "operations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"direction" text NOT NULL,
	"kind" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"not_before" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"run_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"time_budget_seconds" integer DEFAULT 900 NOT NULL,
	"log_sync_activities" boolean DEFAULT true NOT NULL,
	"log_retention_days" integer DEFAULT 30 NOT NULL,
	"max_delete_share" double precision DEFAULT 0.2 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"direction" text NOT NULL,
	"level" text NOT NULL,
	"model" text,
	"record_id" integer,
	"path" text,
	"message" text NOT NULL,
	"run_id" text
);
--> statement-breakpoint
CREATE TABLE "sync_models" (
	"id" serial PRIMARY KEY NOT NULL,
	"model" text NOT NULL,
	"folder_name" text NOT NULL,
	"domain" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"periods" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"name_expression" text,
	"default_folders" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"sequence" integer NOT NULL,
	"deleted_at" timestamp with time zone,
	"invalid_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "cloud_items_ref_uq" ON "cloud_items" USING btree ("ref");--> statement-breakpoint
CREATE INDEX "erp_attachments_res_idx" ON "erp_attachments" USING btree ("res_model","res_id");--> statement-breakpoint
CREATE INDEX "erp_records_model_idx" ON "erp_records" USING btree ("model","id");--> statement-breakpoint
CREATE UNIQUE INDEX "operations_open_dedupe_uq" ON "operations" USING btree ("dedupe_key") WHERE status <> 'done';--> statement-breakpoint
CREATE INDEX "operations_pending_idx" ON "operations" USING btree ("direction","status","id");--> statement-breakpoint
CREATE INDEX "sync_logs_at_idx" ON "sync_logs" USING btree ("at","id");