CREATE TABLE "erp_connection" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"kind" text NOT NULL,
	"url" text NOT NULL,
	"database" text NOT NULL,
	"username" text NOT NULL,
	"api_key_sealed" text NOT NULL,
	"state" text DEFAULT 'draft' NOT NULL,
	"last_error" text,
	"server_version" text,
	"protocol" text,
	"confirmed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
