package main

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryStoreAdd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, title, want, wantErr string
	}{
		{"plain", "buy milk", "buy milk", ""},
		{"trimmed", "  write docs \n", "write docs", ""},
		{"longest", strings.Repeat("x", maxTitleLength), strings.Repeat("x", maxTitleLength), ""},
		{"empty", "", "", "title is empty"},
		{"blank", " \t ", "", "title is empty"},
		{"too long", strings.Repeat("x", maxTitleLength+1), "", "longer than 200 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newMemoryStore()
			task, err := s.Add(context.Background(), tt.title)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				list, _ := s.List(context.Background())
				assert.Empty(t, list)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, Task{ID: "1", Title: tt.want}, task)
		})
	}
}

func TestMemoryStoreCompleteAndList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newMemoryStore()
	a, err := s.Add(ctx, "a")
	require.NoError(t, err)
	b, err := s.Add(ctx, "b")
	require.NoError(t, err)
	assert.NotEqual(t, a.ID, b.ID)

	done, err := s.Complete(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, Task{ID: b.ID, Title: "b", Done: true}, done)
	_, err = s.Complete(ctx, "nope")
	require.ErrorIs(t, err, errNotFound)

	list, err := s.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []Task{{ID: a.ID, Title: "a"}, {ID: b.ID, Title: "b", Done: true}}, list)
	list[0].Title = "changed"
	again, _ := s.List(ctx)
	assert.Equal(t, "a", again[0].Title, "List returns a copy")
}

func TestMemoryStoreConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newMemoryStore()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				task, err := s.Add(ctx, "t")
				assert.NoError(t, err)
				_, err = s.Complete(ctx, task.ID)
				assert.NoError(t, err)
				_, _ = s.List(ctx)
			}
		})
	}
	wg.Wait()
	list, err := s.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 200)
	ids := map[string]bool{}
	for _, task := range list {
		assert.True(t, task.Done)
		ids[task.ID] = true
	}
	assert.Len(t, ids, 200, "ids are unique")
}
