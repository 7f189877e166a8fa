export default function DashboardPage() {
  return (
    <main className="page">
      <h1>Dashboard</h1>
      <p>Coming next.</p>
    </main>
  );
}
